// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QElapsedTimer>
#include <QtWidgets/QWidget>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QTableWidget;
class QTextBrowser;

namespace QPg {
class QueryModel;
}

namespace QPg::Monitor {

class ElidedLabel;
class MonitorSession;
class ResultStyleProxy;
class SqlHighlighter;

// The query runner: SQL editor with highlighting, Ctrl+Enter runs through the pool (which lives on
// the worker thread), $n parameters in a small table, the result grid with row count and timing,
// server errors with SQLSTATE, detail and hint (the error position is marked in the editor), and a
// history. The grid is a QPg::QueryModel: read-only queries stream through a cursor, the first rows
// show at once and the rest is appended in chunks in the background, up to a maximum kept in
// memory. Cancel (or Esc) cancels the statement on the server. Run is disabled, with the reason,
// while the pool is not open.
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
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *exportButton() const { return m_export; }
    QSpinBox *maxRowsSpin() const { return m_maxRows; }
    QPg::QueryModel *resultModel() const { return m_results; }
    QTableView *resultView() const { return m_resultView; }
    QListWidget *historyList() const { return m_history; }
    QString statusText() const;
    QString errorText() const;
    bool isRunning() const { return m_running; }

    // Highest $n in sql outside literals and comments.
    static int parameterCount(const QString &sql);
    // "UPDATE 3 — 3 row(s) affected", "CREATE TABLE": a command tag as the status line says it.
    static QString describeCommandTag(const QString &tag);
    // The UTF-16 index in text of the code point a server error position (counted from 1, in
    // characters) points at.
    static int textIndexOfPosition(const QString &text, int position);

public Q_SLOTS:
    void run();
    void cancel();

Q_SIGNALS:
    void queryDone(bool ok);
    // "Export CSV…": the CSV tab takes the editor's query.
    void exportQueryRequested(const QString &sql);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void onPoolState();
    void updateRunButton();
    void onRowsArrived();
    void onFinished();
    void onFailed();
    void showError(const QString &html, int position);
    void updateParameters();
    void markError(int position);
    void addToHistory(const QString &sql);

    MonitorSession *m_session;
    QPlainTextEdit *m_editor;
    SqlHighlighter *m_highlighter;
    QTableWidget *m_parameters;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QPushButton *m_export;
    QSpinBox *m_maxRows;
    ElidedLabel *m_status;
    QTextBrowser *m_error;
    QPg::QueryModel *m_results;
    ResultStyleProxy *m_styled;
    QTableView *m_resultView;
    QListWidget *m_history;
    bool m_running = false;
    bool m_poolOpen = false;
    bool m_cancelRequested = false;
    int m_chunksArrived = 0;
    double m_firstRowsMs = 0;
    QElapsedTimer m_took;
};

} // namespace QPg::Monitor
