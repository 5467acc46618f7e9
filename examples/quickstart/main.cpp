// SPDX-License-Identifier: MIT
// quickstart: the basics of QPg::Connection with QCoro coroutines, against a throwaway PostgreSQL
// server that the program starts for itself (QPg::Dev::PrivateCluster) and removes at exit.
//
// Connect, create a table, insert rows with parameters, read them back, then a transaction that
// commits and one that fails and rolls back. Exits non-zero on any error.

#include <QPg/connection.h>
#include <QPg/errors.h>
#include <QPg/record.h>
#include <QPg/transaction.h>

#include "privatecluster.h"

#include <QCoroFuture>
#include <QCoroTask>

#include <QtCore/QCoreApplication>
#include <QtCore/QDate>
#include <QtCore/QTextStream>
#include <QtCore/QTimer>

#include <optional>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

QString cell(const QVariant &value)
{
    // SQL NULL arrives as a null QVariant.
    return value.isNull() ? u"NULL"_s : value.toString();
}

QCoro::Task<> printFruit(QPg::Connection &connection)
{
    const QPg::RecordList rows =
        co_await connection.fetch(u"SELECT id, name, quantity, picked FROM fruit ORDER BY id"_s);
    out() << u"    id  name      quantity  picked\n"_s;
    for (const QPg::Record &row : rows) {
        out() << u"    "_s << cell(row[u"id"]).rightJustified(2) << u"  "_s
              << cell(row[u"name"]).leftJustified(8) << u"  "_s
              << cell(row[u"quantity"]).rightJustified(8) << u"  "_s << cell(row[u"picked"]) << u'\n';
    }
    out().flush();
}

QCoro::Task<> demo(const QString &dsn)
{
    QPg::Connection connection(dsn);
    co_await connection.open();
    out() << "Connected, server version " << connection.serverVersion() << ", backend pid "
          << connection.backendPid() << Qt::endl;

    co_await connection.execute(u"CREATE TABLE fruit ("
                                "  id serial PRIMARY KEY,"
                                "  name text NOT NULL UNIQUE,"
                                "  quantity int NOT NULL CHECK (quantity >= 0),"
                                "  picked date)"_s);

    // Values travel separately from the SQL text ($1, $2, ...): no quoting, no SQL injection.
    const QList<std::pair<QString, int>> harvest = {
        {u"apple"_s, 12}, {u"banana"_s, 6}, {u"cherry"_s, 250}};
    const QDate picked(2024, 5, 1);
    for (const auto &[name, quantity] : harvest) {
        const QString tag = co_await connection.execute(
            u"INSERT INTO fruit (name, quantity, picked) VALUES ($1, $2, $3)"_s, name, quantity, picked);
        out() << "  " << tag << " (" << name << ")" << Qt::endl;
    }

    out() << "\nAll fruit:\n";
    co_await printFruit(connection);

    const QPg::Record banana =
        co_await connection.fetchRow(u"SELECT name, quantity FROM fruit WHERE name = $1"_s, u"banana"_s);
    out() << "\nOne row: " << banana[u"name"].toString() << " x " << banana[u"quantity"].toInt() << Qt::endl;
    const QVariant total = co_await connection.fetchValue(u"SELECT sum(quantity) FROM fruit"_s);
    out() << "One value: " << total.toLongLong() << " pieces in total" << Qt::endl;

    // A transaction that commits: both changes become visible together.
    {
        QPg::Transaction transaction = connection.transaction();
        co_await transaction.start();
        co_await connection.execute(u"UPDATE fruit SET quantity = quantity - $1 WHERE name = $2"_s, 2, u"apple"_s);
        co_await connection.execute(u"INSERT INTO fruit (name, quantity) VALUES ($1, $2)"_s, u"damson"_s, 4);
        co_await transaction.commit();
    }
    out() << "\nAfter a committed transaction (apple -2, damson added):\n";
    co_await printFruit(connection);

    // A transaction that fails: the duplicate name violates UNIQUE, so nothing of it is kept.
    {
        QPg::Transaction transaction = connection.transaction();
        co_await transaction.start();
        std::optional<QString> failure;
        try {
            co_await connection.execute(u"UPDATE fruit SET quantity = 0"_s);
            co_await connection.execute(u"INSERT INTO fruit (name, quantity) VALUES ($1, $2)"_s, u"banana"_s, 1);
            co_await transaction.commit();
        } catch (const QPg::UniqueViolationError &error) {
            failure = u"%1 (SQLSTATE %2, constraint %3)"_s.arg(error.message(), error.sqlState(), error.constraintName());
        }
        if (!failure) {
            err() << "quickstart: the duplicate insert unexpectedly succeeded" << Qt::endl;
            throw QPg::Error(u"UNIQUE constraint not enforced"_s);
        }
        // co_await is not allowed inside a catch block, hence the rollback out here.
        co_await transaction.rollback();
        out() << "\nA failed transaction was rolled back: " << *failure << Qt::endl;
    }
    out() << "Unchanged after the rollback:\n";
    co_await printFruit(connection);

    co_await connection.close();
    out() << "\nConnection closed." << Qt::endl;
}

QCoro::Task<int> run(const QString &dsn)
{
    try {
        co_await demo(dsn);
        co_return 0;
    } catch (const QPg::ServerError &error) {
        err() << "quickstart: server error " << error.sqlState() << ": " << error.message() << Qt::endl;
    } catch (const QPg::Error &error) {
        err() << "quickstart: " << error.message() << Qt::endl;
    } catch (const std::exception &error) {
        err() << "quickstart: " << error.what() << Qt::endl;
    }
    co_return 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);

    // A throwaway server; a real program would connect to its own with a DSN such as
    // "host=db.example.com dbname=app user=app".
    QPg::Dev::PrivateCluster cluster;
    QString error;
    out() << "Starting a private PostgreSQL server: " << QPg::Dev::PrivateCluster::describe() << Qt::endl;
    if (!cluster.start(&error)) {
        err() << "quickstart: " << error << Qt::endl;
        return 1;
    }
    out() << "Server ready: " << cluster.dsn() << "\n" << Qt::endl;

    // Run the coroutine from inside the event loop, so exit() always reaches it.
    QTimer::singleShot(0, &app, [&app, &cluster] {
        QCoro::connect(run(cluster.dsn()), &app, [](int code) { QCoreApplication::exit(code); });
    });
    // A demo must never hang: give up after a minute.
    QTimer::singleShot(60'000, &app, [] {
        err() << "quickstart: timed out" << Qt::endl;
        QCoreApplication::exit(2);
    });
    const int code = app.exec();

    cluster.stop();
    out() << (code == 0 ? "Server stopped and removed. Done." : "Server stopped and removed.") << Qt::endl;
    return code;
}
