// SPDX-License-Identifier: MIT
#pragma once

#include "copyoutcome.h"
#include "copyrequest.h"

#include <QtCore/QElapsedTimer>
#include <QtWidgets/QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTextBrowser;

namespace QPg::Monitor {

class MonitorSession;

// The CSV tab: a table or a query exported to a CSV file, or a CSV file imported into a table, with
// PostgreSQL's COPY on a pooled connection of the worker thread. Header, delimiter, quote and NULL
// options; progress (rows · size · rate) fed by Connection::copyProgress: in the bar for an import
// (with the fraction of the file sent), in the status line for an export (whose size is unknown);
// Cancel stops the COPY and the server rolls it back. An export over an existing file asks first.
// A failed import shows the server's message and the line it names.
class CopyWidget : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CopyWidget)
public:
    enum Mode { ExportTable, ExportQuery, Import };
    Q_ENUM(Mode)

    explicit CopyWidget(MonitorSession *session, QWidget *parent = nullptr);
    ~CopyWidget() override;

    QComboBox *modeCombo() const { return m_mode; }
    QLineEdit *tableEdit() const { return m_table; }
    QPlainTextEdit *queryEdit() const { return m_query; }
    QLineEdit *fileEdit() const { return m_file; }
    QCheckBox *headerCheck() const { return m_header; }
    QLineEdit *delimiterEdit() const { return m_delimiter; }
    QLineEdit *quoteEdit() const { return m_quote; }
    QLineEdit *nullEdit() const { return m_null; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *cancelButton() const { return m_cancel; }
    QProgressBar *progressBar() const { return m_progress; }
    QString statusText() const;
    QString errorText() const;
    bool isRunning() const { return m_pendingId != 0; }

    void setMode(Mode mode);
    // Export of the query runner's statement.
    void setQuery(const QString &sql);

public Q_SLOTS:
    void start();
    void cancel();

Q_SIGNALS:
    void finished(bool ok);

private:
    void startCopy(const QPg::Monitor::CopyRequest &request);
    void onProgress(quint64 id, qint64 bytes, qint64 rows);
    void onFinished(const QPg::Monitor::CopyOutcome &outcome);
    void updateMode();
    void browse();
    void showError(const QString &html);

    MonitorSession *m_session;
    QComboBox *m_mode;
    QLineEdit *m_table;
    QPlainTextEdit *m_query;
    QLineEdit *m_file;
    QPushButton *m_browse;
    QCheckBox *m_header;
    QLineEdit *m_delimiter;
    QLineEdit *m_quote;
    QLineEdit *m_null;
    QPushButton *m_start;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_status;
    QTextBrowser *m_error;
    quint64 m_pendingId = 0;
    bool m_importing = false;
    QString m_pendingFile;
    // Chosen with Browse…, whose save dialog has already asked about overwriting it.
    QString m_confirmedFile;
    qint64 m_fileSize = 0;
    QElapsedTimer m_took;
};

} // namespace QPg::Monitor
