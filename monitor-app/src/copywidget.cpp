// SPDX-License-Identifier: MIT
#include "copywidget.h"

#include "copyrequest.h"
#include "monitorsession.h"

#include <QtCore/QFileInfo>
#include <QtGui/QFontDatabase>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QFileDialog>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QGroupBox>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QProgressBar>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QTextBrowser>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {

QString sizeText(qint64 bytes)
{
    if (bytes < 10 * 1024)
        return u"%1 B"_s.arg(bytes);
    if (bytes < 10 * 1024 * 1024)
        return u"%1 KiB"_s.arg(double(bytes) / 1024, 0, 'f', 1);
    return u"%1 MiB"_s.arg(double(bytes) / (1024 * 1024), 0, 'f', 1);
}

// "12,345 rows · 1.2 MiB · 3.4 MiB/s"
QString progressText(qint64 rows, qint64 bytes, double seconds)
{
    return u"%L1 rows · %2 · %3/s"_s.arg(rows).arg(sizeText(bytes),
                                                   sizeText(qint64(double(bytes) / std::max(0.001, seconds))));
}

} // namespace

CopyWidget::CopyWidget(MonitorSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_mode(new QComboBox(this))
    , m_table(new QLineEdit(this))
    , m_query(new QPlainTextEdit(this))
    , m_file(new QLineEdit(this))
    , m_browse(new QPushButton(u"Browse…"_s, this))
    , m_header(new QCheckBox(u"Header line (column names)"_s, this))
    , m_delimiter(new QLineEdit(u","_s, this))
    , m_quote(new QLineEdit(u"\""_s, this))
    , m_null(new QLineEdit(this))
    , m_start(new QPushButton(QIcon(u":/icons/play.svg"_s), u"Start"_s, this))
    , m_cancel(new QPushButton(QIcon(u":/icons/terminate.svg"_s), u"Cancel"_s, this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_error(new QTextBrowser(this))
{
    m_mode->setObjectName(u"copyModeCombo"_s);
    m_mode->addItem(u"Export a table to CSV"_s, ExportTable);
    m_mode->addItem(u"Export a query to CSV"_s, ExportQuery);
    m_mode->addItem(u"Import CSV into a table"_s, Import);
    m_table->setObjectName(u"copyTableEdit"_s);
    m_table->setPlaceholderText(u"schema.table or table"_s);
    m_query->setObjectName(u"copyQueryEdit"_s);
    m_query->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_query->setPlaceholderText(u"SELECT … (no parameters; the query runner's Export CSV… fills this in)"_s);
    m_query->setMaximumHeight(120);
    m_file->setObjectName(u"copyFileEdit"_s);
    m_file->setPlaceholderText(u"/path/to/file.csv"_s);
    m_header->setObjectName(u"copyHeaderCheck"_s);
    m_header->setChecked(true);
    m_delimiter->setObjectName(u"copyDelimiterEdit"_s);
    m_delimiter->setMaxLength(1);
    m_delimiter->setToolTip(u"One character; empty uses the server's default (comma for CSV)"_s);
    m_quote->setObjectName(u"copyQuoteEdit"_s);
    m_quote->setMaxLength(1);
    m_quote->setToolTip(u"One character; empty uses the server's default (double quote)"_s);
    m_null->setObjectName(u"copyNullEdit"_s);
    m_null->setPlaceholderText(u"empty unquoted field"_s);
    m_null->setToolTip(u"The string that stands for NULL; empty keeps CSV's default (an unquoted empty field)"_s);
    m_start->setObjectName(u"copyStartButton"_s);
    m_cancel->setObjectName(u"copyCancelButton"_s);
    m_cancel->setEnabled(false);
    m_cancel->setToolTip(u"Stop the COPY: the server rolls it back (an import leaves the table unchanged)"_s);
    m_progress->setObjectName(u"copyProgress"_s);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(u"idle"_s);
    m_status->setObjectName(u"copyStatus"_s);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);
    m_error->setObjectName(u"copyError"_s);
    m_error->setVisible(false);
    m_error->setMaximumHeight(140);

    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(m_browse);

    auto *what = new QGroupBox(u"Transfer"_s, this);
    auto *whatForm = new QFormLayout(what);
    whatForm->addRow(u"Direction"_s, m_mode);
    whatForm->addRow(u"Table"_s, m_table);
    whatForm->addRow(u"Query"_s, m_query);
    whatForm->addRow(u"CSV file"_s, fileRow);

    auto *options = new QGroupBox(u"CSV options"_s, this);
    auto *optionsForm = new QFormLayout(options);
    optionsForm->addRow(QString(), m_header);
    optionsForm->addRow(u"Delimiter"_s, m_delimiter);
    optionsForm->addRow(u"Quote"_s, m_quote);
    optionsForm->addRow(u"NULL as"_s, m_null);

    auto *top = new QHBoxLayout;
    top->addWidget(what, 3);
    top->addWidget(options, 1);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_progress, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(m_error);
    layout->addStretch(1);

    connect(m_mode, &QComboBox::currentIndexChanged, this, &CopyWidget::updateMode);
    connect(m_browse, &QPushButton::clicked, this, &CopyWidget::browse);
    connect(m_start, &QPushButton::clicked, this, &CopyWidget::start);
    connect(m_cancel, &QPushButton::clicked, this, &CopyWidget::cancel);
    connect(session, &MonitorSession::copyProgress, this, &CopyWidget::onProgress);
    connect(session, &MonitorSession::copyFinished, this, &CopyWidget::onFinished);
    updateMode();
    m_status->setText(u"Ready."_s);
}

CopyWidget::~CopyWidget() = default;

QString CopyWidget::statusText() const
{
    return m_status->text();
}

QString CopyWidget::errorText() const
{
    return m_error->isVisibleTo(this) ? m_error->toPlainText() : QString();
}

void CopyWidget::setMode(Mode mode)
{
    m_mode->setCurrentIndex(m_mode->findData(mode));
}

void CopyWidget::setQuery(const QString &sql)
{
    setMode(ExportQuery);
    QString body = sql.trimmed();
    while (body.endsWith(u';'))
        body = body.chopped(1).trimmed();
    m_query->setPlainText(body);
}

void CopyWidget::updateMode()
{
    const auto mode = Mode(m_mode->currentData().toInt());
    m_table->setEnabled(mode != ExportQuery);
    m_query->setEnabled(mode == ExportQuery);
    m_start->setText(mode == Import ? u"Import"_s : u"Export"_s);
}

void CopyWidget::browse()
{
    const auto mode = Mode(m_mode->currentData().toInt());
    const QString file = mode == Import
        ? QFileDialog::getOpenFileName(this, u"CSV file to import"_s, m_file->text(), u"CSV files (*.csv);;All files (*)"_s)
        : QFileDialog::getSaveFileName(this, u"Export to CSV file"_s,
                                       m_file->text().isEmpty() ? u"export.csv"_s : m_file->text(),
                                       u"CSV files (*.csv)"_s);
    if (file.isEmpty())
        return;
    m_file->setText(file);
    if (mode != Import)
        m_confirmedFile = file;
}

void CopyWidget::showError(const QString &html)
{
    m_error->setHtml(html);
    m_error->setVisible(true);
}

void CopyWidget::start()
{
    if (m_pendingId != 0)
        return;
    m_error->clear();
    m_error->setVisible(false);
    const auto mode = Mode(m_mode->currentData().toInt());
    CopyRequest request;
    request.kind = mode == ExportTable ? CopyRequest::Kind::ExportTable
        : mode == ExportQuery          ? CopyRequest::Kind::ExportQuery
                                       : CopyRequest::Kind::Import;
    request.source = mode == ExportQuery ? m_query->toPlainText().trimmed() : m_table->text().trimmed();
    while (mode == ExportQuery && request.source.endsWith(u';'))
        request.source = request.source.chopped(1).trimmed();
    request.filePath = m_file->text().trimmed();
    if (request.source.isEmpty() || request.filePath.isEmpty()) {
        showError(mode == ExportQuery ? u"Enter a query and a file."_s : u"Enter a table and a file."_s);
        return;
    }
    m_fileSize = 0;
    if (mode == Import) {
        const QFileInfo info(request.filePath);
        if (!info.isFile() || !info.isReadable()) {
            showError(u"Cannot read %1."_s.arg(request.filePath.toHtmlEscaped()));
            return;
        }
        m_fileSize = info.size();
    }
    request.options.format = QPg::CopyOptions::Format::Csv;
    request.options.header = m_header->isChecked();
    if (!m_delimiter->text().isEmpty())
        request.options.delimiter = m_delimiter->text();
    if (!m_quote->text().isEmpty())
        request.options.quote = m_quote->text();
    if (!m_null->text().isEmpty())
        request.options.null = m_null->text();

    if (mode != Import && request.filePath != m_confirmedFile && QFileInfo::exists(request.filePath)) {
        auto *box = new QMessageBox(QMessageBox::Question, u"Export to CSV"_s,
                                    u"%1 already exists. Replace it?"_s.arg(request.filePath),
                                    QMessageBox::Yes | QMessageBox::No, this);
        box->setObjectName(u"copyOverwriteBox"_s);
        box->setDefaultButton(QMessageBox::No);
        box->setAttribute(Qt::WA_DeleteOnClose);
        connect(box, &QMessageBox::finished, this, [this, box, request] {
            if (box->standardButton(box->clickedButton()) != QMessageBox::Yes) {
                m_status->setText(u"Not exported: %1 is left as it was."_s.arg(request.filePath));
                return;
            }
            m_confirmedFile = request.filePath;
            startCopy(request);
        });
        box->open();
        return;
    }
    startCopy(request);
}

void CopyWidget::startCopy(const CopyRequest &request)
{
    if (m_pendingId != 0)
        return;
    const bool import = request.kind == CopyRequest::Kind::Import;
    // Import: bytes of the file read so far; export: the size is unknown, the bar is busy.
    if (import && m_fileSize > 0)
        m_progress->setRange(0, 1000);
    else
        m_progress->setRange(0, 0);
    m_progress->setValue(0);
    m_progress->setFormat(u"starting…"_s);
    m_start->setEnabled(false);
    m_cancel->setEnabled(true);
    m_status->setText(import ? u"Importing %1 into %2…"_s.arg(request.filePath, request.source)
                             : u"Exporting to %1…"_s.arg(request.filePath));
    m_importing = import;
    m_pendingFile = request.filePath;
    m_took.start();
    m_pendingId = m_session->runCopy(request);
}

void CopyWidget::cancel()
{
    if (m_pendingId == 0)
        return;
    m_session->cancelCopy(m_pendingId);
    m_cancel->setEnabled(false);
    m_status->setText(u"Canceling…"_s);
}

void CopyWidget::onProgress(quint64 id, qint64 bytes, qint64 rows)
{
    if (id != m_pendingId)
        return;
    const QString text = progressText(rows, bytes, double(m_took.elapsed()) / 1000);
    if (m_importing && m_fileSize > 0)
        m_progress->setValue(int(std::min<qint64>(1000, bytes * 1000 / m_fileSize)));
    m_progress->setFormat(text);
    if (!m_importing && m_cancel->isEnabled()) // a busy bar shows no text
        m_status->setText(u"Exporting to %1 — %2"_s.arg(m_pendingFile, text));
}

void CopyWidget::onFinished(const CopyOutcome &outcome)
{
    if (outcome.id != m_pendingId)
        return;
    m_pendingId = 0;
    m_start->setEnabled(true);
    m_cancel->setEnabled(false);
    m_progress->setRange(0, 1);
    const QString took = u"%1 ms"_s.arg(outcome.elapsedMs, 0, 'f', 0);
    if (outcome.ok) {
        m_progress->setValue(1);
        const QString text = progressText(outcome.rows, outcome.bytes, outcome.elapsedMs / 1000);
        m_progress->setFormat(text);
        m_status->setText(u"%L1 row(s) copied in %2 (%3)."_s.arg(outcome.rows).arg(took, text));
        Q_EMIT finished(true);
        return;
    }
    m_progress->setValue(0);
    if (outcome.canceled) {
        m_progress->setFormat(u"canceled"_s);
        m_status->setText(u"Canceled after %1: the server rolled the COPY back (nothing imported; a partial "
                          "export file is removed)."_s.arg(took));
        Q_EMIT finished(false);
        return;
    }
    m_progress->setFormat(u"failed"_s);
    // The server rolled a failed import back; a failed export's partial file was removed.
    m_status->setText(m_importing ? u"Failed after %1; the table is unchanged."_s.arg(took)
                                  : u"Failed after %1; no file was left behind."_s.arg(took));
    QString html = u"<b>ERROR%1</b>: %2"_s.arg(outcome.sqlState.isEmpty() ? QString() : u" "_s + outcome.sqlState,
                                               outcome.message.toHtmlEscaped());
    if (!outcome.context.isEmpty())
        html += u"<br><b>Where:</b> "_s + outcome.context.toHtmlEscaped();
    if (!outcome.detail.isEmpty())
        html += u"<br><b>Detail:</b> "_s + outcome.detail.toHtmlEscaped();
    showError(html);
    Q_EMIT finished(false);
}

} // namespace QPg::Monitor
