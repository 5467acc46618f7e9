// SPDX-License-Identifier: MIT
#include "connectiondialog.h"

#include "dsnutils.h"
#include "monitorsession.h"
#include "theme.h"

#include <QtCore/QSettings>
#include <QtGui/QIntValidator>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QTabWidget>
#include <QtWidgets/QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {
const QString RecentKey = u"connections/recent"_s;
} // namespace

ConnectionDialog::ConnectionDialog(QWidget *parent)
    : QDialog(parent)
    , m_keepPassword(new QCheckBox(u"Keep the current password (not shown)"_s, this))
    , m_error(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_recent(new QComboBox(this))
    , m_dsn(new QLineEdit(this))
    , m_host(new QLineEdit(this))
    , m_port(new QLineEdit(this))
    , m_database(new QLineEdit(this))
    , m_user(new QLineEdit(this))
    , m_password(new QLineEdit(this))
    , m_sslMode(new QComboBox(this))
    , m_service(new QLineEdit(this))
    , m_minSize(new QSpinBox(this))
    , m_maxSize(new QSpinBox(this))
{
    setObjectName(u"connectionDialog"_s);
    setWindowTitle(u"Connect"_s);

    m_recent->setObjectName(u"recentCombo"_s);
    m_recent->addItem(u"(recent profiles)"_s);
    QSettings settings;
    for (const QString &profile : recentProfiles(settings))
        m_recent->addItem(profile, profile);
    connect(m_recent, &QComboBox::activated, this, [this](int index) {
        const QString profile = m_recent->itemData(index).toString();
        if (profile.isEmpty())
            return;
        m_dsn->setText(profile);
        m_tabs->setCurrentIndex(0);
        m_dsn->setFocus();
    });

    m_dsn->setObjectName(u"dsnEdit"_s);
    m_dsn->setPlaceholderText(u"host=db.example.com dbname=app user=me   or   postgresql://me@db/app   or   service=prod"_s);
    auto *dsnPage = new QWidget(m_tabs);
    auto *dsnLayout = new QVBoxLayout(dsnPage);
    dsnLayout->addWidget(new QLabel(u"libpq connection string (key=value or URI). Leave the password out to use "
                                    "~/.pgpass or PGPASSWORD."_s,
                                    dsnPage));
    dsnLayout->itemAt(0)->widget()->setProperty("wordWrap", true);
    dsnLayout->addWidget(m_dsn);
    m_keepPassword->setObjectName(u"keepPasswordCheck"_s);
    m_keepPassword->setToolTip(u"Used when the connection string names no password of its own"_s);
    m_keepPassword->setChecked(true);
    m_keepPassword->setVisible(false);
    dsnLayout->addWidget(m_keepPassword);
    dsnLayout->addStretch(1);
    m_tabs->addTab(dsnPage, u"DSN"_s);

    m_host->setObjectName(u"hostEdit"_s);
    m_host->setPlaceholderText(u"localhost or /var/run/postgresql"_s);
    m_port->setObjectName(u"portEdit"_s);
    m_port->setPlaceholderText(u"5432"_s);
    m_port->setValidator(new QIntValidator(1, 65535, m_port));
    m_database->setObjectName(u"databaseEdit"_s);
    m_user->setObjectName(u"userEdit"_s);
    m_password->setObjectName(u"passwordEdit"_s);
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(u"empty: ~/.pgpass or PGPASSWORD"_s);
    m_password->setToolTip(u"Kept in memory only: never saved with the profile, never logged"_s);
    m_sslMode->setObjectName(u"sslModeCombo"_s);
    m_sslMode->addItems({QString(), u"disable"_s, u"allow"_s, u"prefer"_s, u"require"_s, u"verify-ca"_s,
                         u"verify-full"_s});
    m_sslMode->setItemText(0, u"(libpq default)"_s);
    m_service->setObjectName(u"serviceEdit"_s);
    m_service->setPlaceholderText(u"a name from pg_service.conf (optional)"_s);
    auto *fieldsPage = new QWidget(m_tabs);
    auto *form = new QFormLayout(fieldsPage);
    form->addRow(u"Service"_s, m_service);
    form->addRow(u"Host"_s, m_host);
    form->addRow(u"Port"_s, m_port);
    form->addRow(u"Database"_s, m_database);
    form->addRow(u"User"_s, m_user);
    form->addRow(u"Password"_s, m_password);
    form->addRow(u"SSL mode"_s, m_sslMode);
    m_tabs->addTab(fieldsPage, u"Fields"_s);

    m_minSize->setObjectName(u"dialogMinSize"_s);
    m_minSize->setRange(0, 1000);
    m_minSize->setValue(2);
    m_maxSize->setObjectName(u"dialogMaxSize"_s);
    m_maxSize->setRange(1, 1000);
    m_maxSize->setValue(10);
    auto *sizes = new QFormLayout;
    sizes->addRow(u"Pool min size"_s, m_minSize);
    sizes->addRow(u"Pool max size"_s, m_maxSize);

    m_error->setObjectName(u"connectError"_s);
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setVisible(false);
    QPalette errorPalette = m_error->palette();
    errorPalette.setColor(QPalette::WindowText, Theme::errorColor(palette()));
    m_error->setPalette(errorPalette);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_connect = buttons->button(QDialogButtonBox::Ok);
    m_connect->setObjectName(u"connectButton"_s);
    m_connect->setText(u"Connect"_s);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectionDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_recent);
    layout->addWidget(m_tabs);
    layout->addLayout(sizes);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    resize(560, 380);
    m_dsn->setFocus(); // where a new user starts typing
}

ConnectionDialog::~ConnectionDialog() = default;

QString ConnectionDialog::dsn() const
{
    if (m_tabs->currentIndex() == 0) {
        const QString typed = m_dsn->text().trimmed();
        const bool keep = !m_keptPassword.isEmpty() && m_keepPassword->isChecked() && !typed.isEmpty()
            && dsnPassword(typed).isEmpty();
        return keep ? dsnWithPassword(typed, m_keptPassword) : typed;
    }
    const QString sslMode = m_sslMode->currentIndex() == 0 ? QString() : m_sslMode->currentText();
    return dsnFromKeywords({{u"service"_s, m_service->text().trimmed()},
                            {u"host"_s, m_host->text().trimmed()},
                            {u"port"_s, m_port->text().trimmed()},
                            {u"dbname"_s, m_database->text().trimmed()},
                            {u"user"_s, m_user->text().trimmed()},
                            {u"password"_s, m_password->text()},
                            {u"sslmode"_s, sslMode}});
}

int ConnectionDialog::minSize() const
{
    return m_minSize->value();
}

int ConnectionDialog::maxSize() const
{
    return m_maxSize->value();
}

void ConnectionDialog::setSizes(int minSize, int maxSize)
{
    m_minSize->setValue(minSize);
    m_maxSize->setValue(maxSize);
}

QStringList ConnectionDialog::recentProfiles(QSettings &settings)
{
    return settings.value(RecentKey).toStringList();
}

void ConnectionDialog::rememberProfile(QSettings &settings, const QString &dsn)
{
    const QString stored = dsnWithoutPassword(dsn);
    if (stored.isEmpty())
        return;
    QStringList profiles = recentProfiles(settings);
    profiles.removeAll(stored);
    profiles.prepend(stored);
    while (profiles.size() > MaxRecentProfiles)
        profiles.removeLast();
    settings.setValue(RecentKey, profiles);
}

void ConnectionDialog::setCurrentDsn(const QString &dsn)
{
    m_dsn->setText(dsnWithoutPassword(dsn));
    m_keptPassword = dsnPassword(dsn);
    m_keepPassword->setVisible(!m_keptPassword.isEmpty());
    m_tabs->setCurrentIndex(0);
    m_dsn->setFocus();
}

void ConnectionDialog::setSession(MonitorSession *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    if (session)
        connect(session, &MonitorSession::connectionTested, this, &ConnectionDialog::onTested);
}

QString ConnectionDialog::errorText() const
{
    return m_error->isVisibleTo(this) ? m_error->text() : QString();
}

void ConnectionDialog::showError(const QString &text)
{
    m_error->setText(text);
    m_error->setVisible(!text.isEmpty());
}

void ConnectionDialog::accept()
{
    if (m_testId != 0)
        return; // a trial is under way
    if (m_maxSize->value() < m_minSize->value())
        m_maxSize->setValue(m_minSize->value());
    const QString target = dsn();
    if (target.isEmpty()) {
        showError(m_tabs->currentIndex() == 0 ? u"Enter a connection string."_s
                                              : u"Fill in at least a host or a service."_s);
        (m_tabs->currentIndex() == 0 ? m_dsn : m_host)->setFocus();
        return;
    }
    if (!m_session) {
        finishAccept();
        return;
    }
    // The working pool stays until this DSN has been seen to connect.
    showError(QString());
    m_connect->setEnabled(false);
    m_connect->setText(u"Testing…"_s);
    m_testId = m_session->testConnection(target);
}

void ConnectionDialog::onTested(quint64 id, bool ok, const QString &message)
{
    if (id != m_testId)
        return;
    m_testId = 0;
    m_connect->setEnabled(true);
    m_connect->setText(u"Connect"_s);
    if (!ok) {
        showError(u"Could not connect: %1"_s.arg(message.trimmed()));
        return;
    }
    finishAccept();
}

void ConnectionDialog::finishAccept()
{
    QSettings settings;
    rememberProfile(settings, dsn());
    QDialog::accept();
}

} // namespace QPg::Monitor
