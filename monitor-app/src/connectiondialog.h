// SPDX-License-Identifier: MIT
#pragma once

#include <QtWidgets/QDialog>

class QComboBox;
class QLineEdit;
class QSpinBox;
class QTabWidget;
class QSettings;

namespace QPg::Monitor {

// Where to connect: a DSN (key=value or URI), or fields (host, port, database, user, password,
// sslmode, service). The password is masked, kept only in memory and never stored: an empty one is
// left out of the DSN, so libpq looks in ~/.pgpass and PGPASSWORD, and service= names are resolved
// from pg_service.conf. Recent profiles are remembered in QSettings without passwords.
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

    // Recent profiles (DSNs without passwords), newest first.
    static QStringList recentProfiles(QSettings &settings);
    static void rememberProfile(QSettings &settings, const QString &dsn);

    void accept() override;

private:
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
