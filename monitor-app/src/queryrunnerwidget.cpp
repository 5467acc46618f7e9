// SPDX-License-Identifier: MIT
#include "queryrunnerwidget.h"

#include "elidedlabel.h"
#include "monitorsession.h"
#include "resultstyleproxy.h"
#include "rowcopy.h"
#include "sqlhighlighter.h"
#include "theme.h"

#include <QPg/querymodel.h>

#include <QtCore/QRegularExpression>
#include <QtGui/QFontDatabase>
#include <QtGui/QKeySequence>
#include <QtGui/QKeyEvent>
#include <QtGui/QTextBlock>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QListWidget>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QTableView>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QTextBrowser>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {
constexpr int MaxHistory = 100;
// The first chunk is small so the grid shows rows at once; the rest comes in bigger chunks.
constexpr int FirstChunkRows = 500;
constexpr int ChunkRows = 5000;
enum ParameterColumn { ParameterName, ParameterValue, ParameterNull };
} // namespace

QueryRunnerWidget::QueryRunnerWidget(MonitorSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_editor(new QPlainTextEdit(this))
    , m_highlighter(new SqlHighlighter(m_editor->document()))
    , m_parameters(new QTableWidget(0, 3, this))
    , m_run(new QPushButton(QIcon(u":/icons/play.svg"_s), u"Run"_s, this))
    , m_cancel(new QPushButton(QIcon(u":/icons/terminate.svg"_s), u"Cancel"_s, this))
    , m_export(new QPushButton(QIcon(u":/icons/export.svg"_s), u"Export CSV…"_s, this))
    , m_maxRows(new QSpinBox(this))
    , m_status(new ElidedLabel(this, Qt::ElideRight, 560))
    , m_error(new QTextBrowser(this))
    , m_results(new QPg::QueryModel(this))
    , m_styled(new ResultStyleProxy(this))
    , m_resultView(new QTableView(this))
    , m_history(new QListWidget(this))
{
    m_editor->setObjectName(u"sqlEditor"_s);
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setPlaceholderText(u"SELECT * FROM orders WHERE customer_id = $1\n\nCtrl+Enter runs the query."_s);
    m_editor->setTabChangesFocus(false);

    m_parameters->setObjectName(u"parametersTable"_s);
    m_parameters->setHorizontalHeaderLabels({u"Parameter"_s, u"Value"_s, u"NULL"_s});
    m_parameters->verticalHeader()->hide();
    m_parameters->horizontalHeader()->setSectionResizeMode(ParameterValue, QHeaderView::Stretch);
    m_parameters->horizontalHeader()->setSectionResizeMode(ParameterName, QHeaderView::ResizeToContents);
    m_parameters->horizontalHeader()->setSectionResizeMode(ParameterNull, QHeaderView::ResizeToContents);
    m_parameters->setToolTip(u"Values are sent as text; the server infers each parameter's type."_s);

    m_run->setObjectName(u"runButton"_s);
    m_run->setToolTip(u"Run through the pool (Ctrl+Enter)"_s);
    m_cancel->setObjectName(u"cancelButton"_s);
    m_cancel->setToolTip(u"Cancel the statement on the server (PQcancel) and stop fetching (Esc)"_s);
    m_cancel->setEnabled(false);
    m_export->setObjectName(u"exportQueryButton"_s);
    m_export->setToolTip(u"Export this query's result to a CSV file with COPY (CSV tab)"_s);
    m_maxRows->setObjectName(u"maxRowsSpin"_s);
    m_maxRows->setRange(0, 50'000'000);
    m_maxRows->setValue(1'000'000);
    m_maxRows->setSingleStep(100'000);
    m_maxRows->setGroupSeparatorShown(true);
    m_maxRows->setSpecialValueText(u"keep all rows"_s);
    m_maxRows->setPrefix(u"keep at most "_s);
    m_maxRows->setSuffix(u" rows"_s);
    m_maxRows->setToolTip(
        u"Read-only queries are streamed through a server-side cursor in chunks: the first rows show at once "
        "and the rest is appended in the background. Fetching stops after this many rows so memory stays bounded; "
        "export to CSV for the whole result."_s);

    m_status->setObjectName(u"queryStatus"_s);
    // Elided (whole in the tool tip): a long status must not make the window wider than 1024 px.
    m_error->setObjectName(u"queryError"_s);
    m_error->setVisible(false);
    m_error->setMaximumHeight(140);

    m_resultView->setObjectName(u"resultView"_s);
    m_results->setFetchMode(QPg::QueryModel::FetchMode::Eager);
    m_styled->setSourceModel(m_results);
    m_resultView->setModel(m_styled);
    m_resultView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_resultView->setWordWrap(false);
    m_resultView->verticalHeader()->setDefaultSectionSize(m_resultView->fontMetrics().height() + 4);
    m_resultView->setAlternatingRowColors(true);
    m_resultView->setSelectionBehavior(QAbstractItemView::SelectRows);
    // Whole values, not the display's shortened ones.
    RowCopy::install(m_resultView, [](const QModelIndex &index) {
        return QPg::QueryModel::displayText(index.data(QPg::QueryModel::ValueRole));
    });

    m_history->setObjectName(u"historyList"_s);
    m_history->setToolTip(u"Double-click to load a statement into the editor"_s);
    connect(m_history, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        m_editor->setPlainText(item->data(Qt::UserRole).toString());
        m_editor->setFocus();
    });

    // Ctrl+Enter (Return or keypad Enter) in the editor or the parameter table. An event filter
    // rather than a QShortcut: it also works when the window is not the active one.
    m_editor->installEventFilter(this);
    m_parameters->installEventFilter(this);
    connect(m_run, &QPushButton::clicked, this, &QueryRunnerWidget::run);
    connect(m_cancel, &QPushButton::clicked, this, &QueryRunnerWidget::cancel);
    connect(m_export, &QPushButton::clicked, this,
            [this] { Q_EMIT exportQueryRequested(m_editor->toPlainText()); });
    connect(m_results, &QAbstractItemModel::rowsInserted, this, &QueryRunnerWidget::onRowsArrived);
    connect(m_results, &QPg::QueryModel::finished, this, &QueryRunnerWidget::onFinished);
    connect(m_results, &QPg::QueryModel::errorOccurred, this, &QueryRunnerWidget::onFailed);
    connect(m_editor, &QPlainTextEdit::textChanged, this, &QueryRunnerWidget::updateParameters);
    connect(m_session, &MonitorSession::poolStateChanged, this, &QueryRunnerWidget::onPoolState);

    auto *paramsBox = new QWidget(this);
    auto *paramsLayout = new QVBoxLayout(paramsBox);
    paramsLayout->setContentsMargins(0, 0, 0, 0);
    paramsLayout->addWidget(new QLabel(u"Parameters"_s, paramsBox));
    paramsLayout->addWidget(m_parameters, 1);

    auto *editorSplit = new QSplitter(Qt::Horizontal, this);
    editorSplit->addWidget(m_editor);
    editorSplit->addWidget(paramsBox);
    editorSplit->setStretchFactor(0, 3);
    editorSplit->setStretchFactor(1, 1);

    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_run);
    runRow->addWidget(m_cancel);
    runRow->addWidget(m_maxRows);
    runRow->addWidget(m_status, 1);
    runRow->addWidget(m_export);

    auto *resultsBox = new QWidget(this);
    auto *resultsLayout = new QVBoxLayout(resultsBox);
    resultsLayout->setContentsMargins(0, 0, 0, 0);
    resultsLayout->addLayout(runRow);
    resultsLayout->addWidget(m_error);
    resultsLayout->addWidget(m_resultView, 1);

    auto *mainSplit = new QSplitter(Qt::Vertical, this);
    mainSplit->addWidget(editorSplit);
    mainSplit->addWidget(resultsBox);
    mainSplit->setStretchFactor(0, 1);
    mainSplit->setStretchFactor(1, 2);

    auto *historyBox = new QWidget(this);
    auto *historyLayout = new QVBoxLayout(historyBox);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    historyLayout->addWidget(new QLabel(u"History"_s, historyBox));
    historyLayout->addWidget(m_history, 1);

    auto *outer = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(mainSplit);
    outer->addWidget(historyBox);
    outer->setStretchFactor(0, 4);
    outer->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(outer);
    m_status->setFullText(u"Ready."_s);
    onPoolState();
}

QueryRunnerWidget::~QueryRunnerWidget() = default;

QString QueryRunnerWidget::statusText() const
{
    return m_status->fullText();
}

QString QueryRunnerWidget::errorText() const
{
    return m_error->isVisibleTo(this) ? m_error->toPlainText() : QString();
}

int QueryRunnerWidget::parameterCount(const QString &sql)
{
    // Drop literals, quoted identifiers and comments, then find the highest $n.
    static const QRegularExpression hidden(u"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\\n]*|/\\*.*?\\*/"_s,
                                           QRegularExpression::DotMatchesEverythingOption);
    QString stripped = sql;
    stripped.replace(hidden, u" "_s);
    static const QRegularExpression parameter(u"\\$(\\d+)"_s);
    int highest = 0;
    for (auto it = parameter.globalMatch(stripped); it.hasNext();)
        highest = std::max(highest, it.next().captured(1).toInt());
    return std::min(highest, 100);
}

void QueryRunnerWidget::updateParameters()
{
    const int count = parameterCount(m_editor->toPlainText());
    const int old = m_parameters->rowCount();
    if (count == old)
        return;
    m_parameters->setRowCount(count); // existing values stay
    for (int row = old; row < count; ++row) {
        auto *name = new QTableWidgetItem(u"$%1"_s.arg(row + 1));
        name->setFlags(Qt::ItemIsEnabled);
        m_parameters->setItem(row, ParameterName, name);
        m_parameters->setItem(row, ParameterValue, new QTableWidgetItem);
        auto *isNull = new QTableWidgetItem;
        isNull->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        isNull->setCheckState(Qt::Unchecked);
        m_parameters->setItem(row, ParameterNull, isNull);
    }
}

void QueryRunnerWidget::onPoolState()
{
    const PoolController::PoolState state = m_session->poolState();
    const bool open = state == PoolController::PoolState::Open;
    const bool opened = open && !m_poolOpen;
    m_poolOpen = open;
    updateRunButton();
    if (m_running)
        return; // the running query's own outcome says what happened
    if (opened) {
        m_run->setToolTip(u"Run through the pool (Ctrl+Enter)"_s);
        m_status->setFullText(u"Ready."_s);
    } else if (!open) {
        const QString reason = u"The pool is %1: queries run once it is open (File > Connect…, or Reopen)."_s.arg(
            PoolController::stateName(state));
        m_run->setToolTip(reason);
        m_status->setFullText(reason);
    }
}

void QueryRunnerWidget::updateRunButton()
{
    m_run->setEnabled(m_poolOpen && !m_running);
}

void QueryRunnerWidget::run()
{
    const QString sql = m_editor->toPlainText();
    // The session's state, not m_poolOpen: a slot of the same signal may run before onPoolState().
    if (sql.trimmed().isEmpty() || m_running || m_session->poolState() != PoolController::PoolState::Open)
        return;
    QVariantList args;
    for (int row = 0; row < m_parameters->rowCount(); ++row) {
        const bool isNull = m_parameters->item(row, ParameterNull)->checkState() == Qt::Checked;
        const QTableWidgetItem *value = m_parameters->item(row, ParameterValue);
        args.append(isNull ? QVariant() : QVariant(value ? value->text() : QString()));
    }
    m_editor->setExtraSelections({});
    m_error->clear();
    m_error->setVisible(false);
    addToHistory(sql);
    m_results->clear();
    if (!m_session->pool()) {
        m_status->setFullText(u"Failed"_s);
        showError(u"<b>ERROR</b>: the pool is not open"_s, 0);
        Q_EMIT queryDone(false);
        return;
    }
    m_run->setEnabled(false);
    m_cancel->setEnabled(true);
    m_status->setFullText(u"Running…"_s);
    m_running = true;
    m_cancelRequested = false;
    m_chunksArrived = 0;
    m_firstRowsMs = 0;
    m_took.start();
    m_results->setChunkSize(FirstChunkRows);
    m_results->setRowLimit(m_maxRows->value());
    m_results->setQuery(m_session->pool(), sql, args);
}

void QueryRunnerWidget::cancel()
{
    if (!m_running || m_cancelRequested)
        return;
    m_cancelRequested = true;
    m_results->cancel();
    m_cancel->setEnabled(false);
    if (m_running)
        m_status->setFullText(u"Canceling…"_s);
}

void QueryRunnerWidget::onRowsArrived()
{
    if (!m_running)
        return;
    if (m_chunksArrived++ == 0) {
        m_firstRowsMs = double(m_took.nsecsElapsed()) / 1e6;
        m_results->setChunkSize(ChunkRows);
        m_resultView->resizeColumnsToContents(); // sized on the first chunk only: later ones stay cheap
    }
    if (m_cancel->isEnabled())
        m_status->setFullText(u"%L1 rows so far, %2 ms… (streaming)"_s.arg(m_results->rowCount()).arg(m_took.elapsed()));
}

void QueryRunnerWidget::onFinished()
{
    if (!m_running)
        return;
    m_running = false;
    updateRunButton();
    m_cancel->setEnabled(false);
    const QString took = u"%1 ms"_s.arg(double(m_took.nsecsElapsed()) / 1e6, 0, 'f', 1);
    if (m_cancelRequested) {
        // What the user asked for: not an error. The rows that arrived stay.
        m_status->setFullText(u"Canceled after %1 — %L2 row(s) kept"_s.arg(took).arg(m_results->rowCount()));
        Q_EMIT queryDone(false);
        return;
    }
    if (m_chunksArrived == 0)
        m_resultView->resizeColumnsToContents(); // no rows: size the headers
    const QString tag = m_results->commandTag();
    QString text;
    if (!tag.isEmpty() && m_results->columnCount() == 0)
        text = u"%1 in %2"_s.arg(describeCommandTag(tag), took); // DML and DDL: what the server did
    else
        text = u"%1 row(s) in %2"_s.arg(m_results->rowCount()).arg(took);
    if (!tag.isEmpty() && m_results->columnCount() > 0 && !tag.startsWith(u"SELECT"_s))
        text += u" — "_s + describeCommandTag(tag); // DML with RETURNING
    if (m_chunksArrived > 1)
        text += u" (streamed, first rows after %1 ms)"_s.arg(m_firstRowsMs, 0, 'f', 1);
    if (m_results->isTruncated())
        text += u" — stopped at the in-memory maximum of %L1 rows; raise it or export to CSV for all"_s.arg(
            m_results->rowCount());
    m_status->setFullText(text);
    Q_EMIT queryDone(true);
}

void QueryRunnerWidget::onFailed()
{
    if (!m_running)
        return;
    m_running = false;
    updateRunButton();
    m_cancel->setEnabled(false);
    m_status->setFullText(u"Failed after %1 ms"_s.arg(double(m_took.nsecsElapsed()) / 1e6, 0, 'f', 1));
    QString html;
    int position = 0;
    if (const auto *server = dynamic_cast<const QPg::ServerError *>(m_results->error())) {
        html = u"<b>%1 %2</b>: %3"_s.arg(server->severity().isEmpty() ? u"ERROR"_s : server->severity(),
                                          server->sqlState(), server->message().toHtmlEscaped());
        if (!server->detail().isEmpty())
            html += u"<br><b>Detail:</b> "_s + server->detail().toHtmlEscaped();
        if (!server->hint().isEmpty())
            html += u"<br><b>Hint:</b> "_s + server->hint().toHtmlEscaped();
        position = server->position();
        if (position > 0)
            html += u"<br><b>Position:</b> %1"_s.arg(position);
    } else {
        html = u"<b>ERROR</b>: "_s + m_results->errorMessage().toHtmlEscaped();
    }
    showError(html, position);
    Q_EMIT queryDone(false);
}

void QueryRunnerWidget::showError(const QString &html, int position)
{
    m_error->setHtml(html);
    m_error->setVisible(true);
    markError(position);
}

QString QueryRunnerWidget::describeCommandTag(const QString &tag)
{
    // The tags whose last number counts rows (INSERT's first one is an obsolete OID).
    static const QRegularExpression counted(u"^(?:INSERT \\d+|UPDATE|DELETE|MERGE|SELECT|COPY|MOVE|FETCH) (\\d+)$"_s);
    const QRegularExpressionMatch match = counted.match(tag);
    if (!match.hasMatch())
        return tag;
    return u"%1 — %L2 row(s) affected"_s.arg(tag).arg(match.captured(1).toLongLong());
}

int QueryRunnerWidget::textIndexOfPosition(const QString &text, int position)
{
    // The server counts characters (code points), QString UTF-16 units: an emoji is two of those.
    qsizetype index = 0;
    for (int character = 1; character < position && index < text.size(); ++character)
        index += text.at(index).isHighSurrogate() && index + 1 < text.size() && text.at(index + 1).isLowSurrogate() ? 2 : 1;
    return int(index);
}

void QueryRunnerWidget::markError(int position)
{
    if (position <= 0)
        return;
    // PostgreSQL counts characters from 1 in the query as sent; underline the word it points at.
    QTextCursor cursor(m_editor->document());
    const int index = textIndexOfPosition(m_results->query(), position);
    cursor.setPosition(std::min(index, m_editor->document()->characterCount() - 1));
    cursor.movePosition(QTextCursor::EndOfWord, QTextCursor::KeepAnchor);
    if (!cursor.hasSelection())
        cursor.movePosition(QTextCursor::NextCharacter, QTextCursor::KeepAnchor);
    QTextEdit::ExtraSelection selection;
    selection.cursor = cursor;
    selection.format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
    selection.format.setUnderlineColor(Theme::errorColor(palette()));
    QColor background = Theme::errorColor(palette());
    background.setAlpha(60);
    selection.format.setBackground(background);
    m_editor->setExtraSelections({selection});
    QTextCursor caret = cursor;
    caret.clearSelection();
    m_editor->setTextCursor(caret);
}

void QueryRunnerWidget::addToHistory(const QString &sql)
{
    const QString trimmed = sql.trimmed();
    for (int i = 0; i < m_history->count(); ++i) {
        if (m_history->item(i)->data(Qt::UserRole).toString() == trimmed) {
            delete m_history->takeItem(i);
            break;
        }
    }
    auto *item = new QListWidgetItem(trimmed.simplified().left(80));
    item->setData(Qt::UserRole, trimmed);
    item->setToolTip(trimmed);
    m_history->insertItem(0, item);
    while (m_history->count() > MaxHistory)
        delete m_history->takeItem(m_history->count() - 1);
}

bool QueryRunnerWidget::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter)
            && (key->modifiers() & Qt::ControlModifier)) {
            run();
            return true;
        }
        if (key->key() == Qt::Key_Escape && key->modifiers() == Qt::NoModifier && m_running) {
            cancel();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void QueryRunnerWidget::keyPressEvent(QKeyEvent *event)
{
    // Esc from any child that lets it through (buttons, the grid, the history).
    if (event->key() == Qt::Key_Escape && event->modifiers() == Qt::NoModifier && m_running) {
        cancel();
        event->accept();
        return;
    }
    QWidget::keyPressEvent(event);
}

void QueryRunnerWidget::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        m_highlighter->updateColours(palette());
    QWidget::changeEvent(event);
}

} // namespace QPg::Monitor
