// SPDX-License-Identifier: MIT
// qml-browser: a small PostgreSQL table browser in Qt Quick, on the QPgPool QML module.
//
//   qpgpool-qml-browser [--selftest] [DSN]
//
// Pick a table, page through it, edit a cell (double-click, Enter, Submit: the TableModel sends the
// edits in one transaction), and watch another client's change arrive: the demo table
// qpg_browser_demo (created if it does not exist) has a trigger that sends NOTIFY qpg_browser_demo
// on every change, and the view's model reads again on that channel. Without a DSN the program
// starts a throwaway PostgreSQL server (QPg::Dev::PrivateCluster) and removes it at exit.
//
// --selftest runs offscreen: it waits until the rows show, reads the next page, updates a row
// through a second connection and waits for the NOTIFY refresh to show it, edits a cell through its
// delegate and submits, checks the server has the new value, and exits with 0 (1 on a failure or
// after a minute).

#include "privatecluster.h"

#include <QtCore/QTextStream>
#include <QtGui/QGuiApplication>
#include <QtQml/QQmlApplicationEngine>
#include <QtQml/QQmlContext>

#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace {

// The demo table: a few hundred rows to page through, and a statement trigger that tells listeners
// the table changed (the payload names the operation; the models only need the wake-up).
const QString DemoSchema = uR"sql(
CREATE TABLE IF NOT EXISTS qpg_browser_demo (
    id integer PRIMARY KEY,
    name text NOT NULL,
    quantity integer NOT NULL,
    note text
);
INSERT INTO qpg_browser_demo (id, name, quantity)
    SELECT n, 'item ' || n, n % 17 FROM generate_series(1, 500) AS n
    ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION qpg_browser_demo_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('qpg_browser_demo', TG_OP);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER qpg_browser_demo_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON qpg_browser_demo
    FOR EACH STATEMENT EXECUTE FUNCTION qpg_browser_demo_notify();
)sql"_s;

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

} // namespace

int main(int argc, char **argv)
{
    bool selfTest = false;
    QString dsn;
    for (int i = 1; i < argc; ++i) {
        const QString arg = QString::fromLocal8Bit(argv[i]);
        if (arg == u"--selftest")
            selfTest = true;
        else if (!arg.startsWith(u'-'))
            dsn = arg;
    }
    if (selfTest)
        qputenv("QT_QPA_PLATFORM", "offscreen"); // before the application picks its platform
    QGuiApplication app(argc, argv);

    // A throwaway server unless a DSN was given; a real program connects to its own.
    std::optional<QPg::Dev::PrivateCluster> cluster;
    QString error;
    if (dsn.isEmpty()) {
        cluster.emplace();
        err() << "Starting a private PostgreSQL server: " << QPg::Dev::PrivateCluster::describe() << Qt::endl;
        if (!cluster->start(&error)) {
            err() << "qml-browser: " << error << Qt::endl;
            return 1;
        }
        dsn = cluster->dsn();
    }
    // Setup before the window opens (psql, blocking): a development shortcut, not how an
    // application should talk to its database.
    if (!QPg::Dev::PrivateCluster::runPsql(dsn, {u"-c"_s, DemoSchema}, nullptr, &error)) {
        err() << "qml-browser: cannot create the demo table: " << error << Qt::endl;
        return 1;
    }

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral(QPG_QML_BUILD_DIR));
    engine.rootContext()->setContextProperty(u"appDsn"_s, dsn);
    engine.rootContext()->setContextProperty(u"selfTest"_s, selfTest);
    QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed, &app,
                     [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(u"qrc:/qml-browser/Main.qml"_s));
    if (engine.rootObjects().isEmpty())
        return 1;
    const int code = app.exec();
    if (selfTest)
        err() << "qml-browser: selftest " << (code == 0 ? "passed" : "FAILED") << Qt::endl;
    return code;
}
