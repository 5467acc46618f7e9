// SPDX-License-Identifier: MIT
#pragma once

#include "queryoutcome.h"

#include <QtWidgets/QWidget>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QTableWidget;
class QTextBrowser;

namespace QPg::Monitor {

class MonitorSession;
class RecordTableModel;
class SqlHighlighter;

// The query runner: SQL editor with highlighting, Ctrl+Enter runs through the pool (pool.fetch on
// the worker thread), $n parameters in a small table, the result grid with row count and timing,
// server errors with SQLSTATE, detail and hint (the error position is marked in the editor), and a
// history. Results are fetched whole, so a row limit protects the GUI until rows can be streamed.
class QueryRunnerWidget : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueryRunnerWidget)
public:
    explicit QueryRunnerWidget(MonitorSession *session, QWidget *parent = nullptr);
    ~QueryRunnerWidget() override;

    QPlainTextEdit *editor() const { return m_editor; }
    QPushButton *runButton() const { return m_run; }
    QTableWidget *parametersTable() const { return m_parameters; }
    QSpinBox *rowLimitSpin() const { return m_rowLimit; }
    RecordTableModel *resultModel() const { return m_results; }
    QTableView *resultView() const { return m_resultView; }
    QListWidget *historyList() const { return m_history; }
    QString statusText() const;
    QString errorText() const;
    bool isRunning() const { return m_pendingId != 0; }

    // Highest $n in sql outside literals and comments.
    static int parameterCount(const QString &sql);

public Q_SLOTS:
    void run();

Q_SIGNALS:
    void queryDone(bool ok);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void onFinished(const QPg::Monitor::QueryOutcome &outcome);
    void updateParameters();
    void markError(int position);
    void addToHistory(const QString &sql);

    MonitorSession *m_session;
    QPlainTextEdit *m_editor;
    SqlHighlighter *m_highlighter;
    QTableWidget *m_parameters;
    QPushButton *m_run;
    QSpinBox *m_rowLimit;
    QLabel *m_status;
    QTextBrowser *m_error;
    RecordTableModel *m_results;
    QTableView *m_resultView;
    QListWidget *m_history;
    quint64 m_pendingId = 0;
};

} // namespace QPg::Monitor
