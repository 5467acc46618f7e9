// SPDX-License-Identifier: MIT
#pragma once

#include <QtWidgets/QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QSettings;

namespace QPg::Monitor {

class MonitorSession;

// Where to connect: a DSN (key=value or URI), or fields (host, port, database, user, password,
// sslmode, service). The password is masked, kept only in memory and never stored: an empty one is
// left out of the DSN, so libpq looks in ~/.pgpass and PGPASSWORD, and service= names are resolved
// from pg_service.conf. Recent profiles are remembered in QSettings without passwords.
// The DSN field has the focus and starts with the current DSN, its password left out of the text and
// kept (a check box says so). An empty DSN is refused; with a session, Connect first opens a trial
// connection on the worker thread and the dialog stays open with the server's error when it fails,
// so a typo never replaces a working pool.
class ConnectionDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionDialog)
public:
    static constexpr int MaxRecentProfiles = 10;

    explicit ConnectionDialog(QWidget *parent = nullptr);
    ~ConnectionDialog() override;

    // The DSN to open, with the password when one was typed (memory only).
    QString dsn() const;
    int minSize() const;
    int maxSize() const;
    void setSizes(int minSize, int maxSize);
    // Prefills the DSN field with dsn, without its password; the password is kept in memory and
    // used when the field names none.
    void setCurrentDsn(const QString &dsn);
    // Connect tests the DSN through session before accepting.
    void setSession(MonitorSession *session);
    bool isTesting() const { return m_testId != 0; }
    QString errorText() const;

    QTabWidget *tabs() const { return m_tabs; }
    QLineEdit *dsnEdit() const { return m_dsn; }
    QLineEdit *hostEdit() const { return m_host; }
    QLineEdit *portEdit() const { return m_port; }
    QLineEdit *databaseEdit() const { return m_database; }
    QLineEdit *userEdit() const { return m_user; }
    QLineEdit *passwordEdit() const { return m_password; }
    QComboBox *sslModeCombo() const { return m_sslMode; }
    QLineEdit *serviceEdit() const { return m_service; }
    QComboBox *recentCombo() const { return m_recent; }
    QCheckBox *keepPasswordCheck() const { return m_keepPassword; }
    QPushButton *connectButton() const { return m_connect; }

    // Recent profiles (DSNs without passwords), newest first.
    static QStringList recentProfiles(QSettings &settings);
    static void rememberProfile(QSettings &settings, const QString &dsn);

    void accept() override;

private:
    void onTested(quint64 id, bool ok, const QString &message);
    void showError(const QString &text);
    void finishAccept();

    MonitorSession *m_session = nullptr;
    quint64 m_testId = 0;
    QString m_keptPassword;
    QCheckBox *m_keepPassword;
    QLabel *m_error;
    QPushButton *m_connect = nullptr;
    QTabWidget *m_tabs;
    QComboBox *m_recent;
    QLineEdit *m_dsn;
    QLineEdit *m_host;
    QLineEdit *m_port;
    QLineEdit *m_database;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QComboBox *m_sslMode;
    QLineEdit *m_service;
    QSpinBox *m_minSize;
    QSpinBox *m_maxSize;
};

} // namespace QPg::Monitor
