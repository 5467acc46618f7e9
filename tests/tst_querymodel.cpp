// SPDX-License-Identifier: MIT
// QPg::QueryModel against the test run's server, each model watched by Qt's model checker.
#include "pooltest.h"

#include <QPg/connection.h>
#include <QPg/querymodel.h>

#include <QtCore/QItemSelectionModel>
#include <QtCore/QThread>
#include <QtTest/QAbstractItemModelTester>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <sys/resource.h>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;
using QPg::QueryModel;

namespace {

// The server is shared with the tests ctest runs alongside (the pool chaos test LISTENs too): this
// test only ever counts or kills sessions of its own pools.
const QString sessionName = u"tst_querymodel"_s;

QPg::PoolOptions modelPoolOptions(int minSize, int maxSize)
{
    QPg::PoolOptions options = poolOptions(minSize, maxSize);
    options.connectOptions.applicationName = sessionName;
    return options;
}

// A model with Qt's checker attached; the checker fails the test on any inconsistency.
struct CheckedModel
{
    QueryModel model;
    QAbstractItemModelTester tester{&model, QAbstractItemModelTester::FailureReportingMode::QtTest};
};

bool waitForStatus(QueryModel &model, QueryModel::Status status, int timeoutMs = 20000)
{
    return QTest::qWaitFor([&] { return model.status() == status; }, timeoutMs);
}

long maxRssKiB()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

} // namespace

class tst_QueryModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void streamsOnDemand();
    void eagerReadsToTheEnd();
    void eagerChunksGrow();
    void eagerPlansForTheWholeResult();
    void rowLimitBoundsMemory();
    void emptyResultStillHasColumns();
    void valuesAndNulls();
    void errorIsTypedAndModelRecovers();
    void runtimeErrorMidStream();
    void eagerWithoutLimitStreamsWithoutCursor();
    void cancelStopsTheServer();
    void newQueryCancelsThePrevious();
    void statementsWithoutCursor();
    void keywordsInQuotesStillStream();
    void commandTagOfStatementsRunWhole();
    void connectionInfoShowsTheModelsQuery();
    void refreshKeepsSelectionByKey();
    void refreshWithoutKeyKeepsPositions();
    void refreshOnNotify();
    void notifyRefreshesAnIdleCursor();
    void listenerComesBackAfterSessionLoss();
    void droppedConnectionMidStream();
    void poolInAnotherThread();
    void signalsNeverComeInsideSetQuery();

private:
    std::unique_ptr<QPg::Pool> m_pool;
    std::unique_ptr<QPg::Connection> m_admin;

    int activeBackends(const QString &like);
};

void tst_QueryModel::initTestCase()
{
    m_pool = openPool(modelPoolOptions(1, 4));
    m_admin = std::make_unique<QPg::Connection>(dsn());
    await(m_admin->open());
    await(m_admin->execute(u"DROP TABLE IF EXISTS qm_items; "
                           "CREATE TABLE qm_items (id int PRIMARY KEY, name text, price numeric)"_s));
}

void tst_QueryModel::cleanupTestCase()
{
    if (m_admin)
        await(m_admin->execute(u"DROP TABLE IF EXISTS qm_items"_s));
    m_pool.reset();
}

int tst_QueryModel::activeBackends(const QString &like)
{
    return await(m_admin->fetchValue(u"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                                      "AND query LIKE $1 AND application_name = $2"_s,
                                      {like, sessionName}))
        .toInt();
}

void tst_QueryModel::streamsOnDemand()
{
    // Without the checker: it calls fetchMore() itself on every change, which reads everything.
    QueryModel model;
    model.setChunkSize(100);
    QSignalSpy status(&model, &QueryModel::statusChanged);
    model.setQuery(m_pool.get(), u"SELECT g AS n, g * 2 AS twice FROM generate_series(1, 1000) g ORDER BY g"_s);
    QCOMPARE(model.status(), QueryModel::Status::Loading);
    QVERIFY(waitForStatus(model, QueryModel::Status::Ready));
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.columnCount(), 2);
    QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), u"n"_s);
    QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), u"twice"_s);
    QCOMPARE(model.headerData(1, Qt::Horizontal, Qt::ToolTipRole).toString(), u"int4"_s);
    QVERIFY(model.canFetchMore());
    // The cursor holds one connection while rows remain.
    QCOMPARE(m_pool->size() - m_pool->idleSize(), 1);

    model.fetchMore();
    QVERIFY(!model.canFetchMore()); // one FETCH at a time
    QTRY_COMPARE(model.rowCount(), 200);
    QCOMPARE(model.data(model.index(199, 1)).toString(), u"400"_s);
    // A view scrolling to the bottom: it asks for more whenever the model can give more.
    QVERIFY(QTest::qWaitFor(
        [&] {
            if (model.canFetchMore())
                model.fetchMore();
            return model.rowCount() == 1000 && model.status() == QueryModel::Status::Ready;
        },
        20000));
    QCOMPARE(model.status(), QueryModel::Status::Ready);
    QVERIFY(!model.isTruncated());
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size()); // released at the end
    QVERIFY(status.size() >= 3);
}

void tst_QueryModel::eagerReadsToTheEnd()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    model.setFetchMode(QueryModel::FetchMode::Eager);
    model.setChunkSize(333);
    QSignalSpy finished(&model, &QueryModel::finished);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.setQuery(m_pool.get(), u"SELECT g FROM generate_series(1, 2000) g WHERE g > $1"_s, {1000});
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.rowCount(), 1000);
    QCOMPARE(model.data(model.index(0, 0), Qt::EditRole).toInt(), 1001);
    QCOMPARE(model.data(model.index(999, 0), Qt::EditRole).toInt(), 2000);
    QVERIFY(inserted.size() >= 1);
    QVERIFY(!model.canFetchMore());
    QCOMPARE(model.status(), QueryModel::Status::Ready);
}

void tst_QueryModel::eagerChunksGrow()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    model.setFetchMode(QueryModel::FetchMode::Eager);
    model.setChunkSize(100);
    model.setRowLimit(1000000); // read through a cursor: without a limit the rows are streamed
    QSignalSpy finished(&model, &QueryModel::finished);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.setQuery(m_pool.get(), u"SELECT g FROM generate_series(1, 250000) g"_s);
    QVERIFY(finished.wait(60000));
    QCOMPARE(model.rowCount(), 250000);
    QCOMPARE(model.data(model.index(249999, 0), Qt::EditRole).toInt(), 250000);
    QCOMPARE(model.record(12345).value(0).toInt(), 12346);
    // 100, 200, 400... doubling to 51 200, then 65 536 at a time: 13 FETCHes instead of 2 500.
    QList<int> sizes;
    for (const QList<QVariant> &args : inserted)
        sizes.append(args.at(2).toInt() - args.at(1).toInt() + 1);
    QCOMPARE(sizes.mid(0, 4), QList<int>({100, 200, 400, 800}));
    QCOMPARE(sizes.at(9), 51200);
    QCOMPARE(sizes.at(10), 65536);
    QCOMPARE(sizes.size(), 13);
    QVERIFY(std::all_of(sizes.cbegin(), sizes.cend(), [](int size) { return size <= 65536; }));
}

void tst_QueryModel::eagerPlansForTheWholeResult()
{
    // An eager model reads every row: its cursor (there is one with a row limit) is planned for the
    // whole result. Views that fetch on demand keep the server's default (the first rows first),
    // and nothing outlives the run.
    const QString sql = u"SELECT current_setting('cursor_tuple_fraction') FROM generate_series(1, 3)"_s;
    for (const auto mode : {QueryModel::FetchMode::Eager, QueryModel::FetchMode::OnDemand}) {
        CheckedModel checked;
        QueryModel &model = checked.model;
        model.setFetchMode(mode);
        model.setRowLimit(1000);
        QSignalSpy finished(&model, &QueryModel::finished);
        model.setQuery(m_pool.get(), sql);
        QVERIFY(finished.wait(20000));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.data(model.index(2, 0)).toString(), mode == QueryModel::FetchMode::Eager ? u"1"_s : u"0.1"_s);
    }
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size());
    QList<QPg::PooledConnection> held; // every pooled session, each held once, is back at the default
    for (int i = m_pool->size(); i > 0; --i)
        held.append(await(m_pool->acquire()));
    for (QPg::PooledConnection &connection : held)
        QCOMPARE(await(connection.fetchValue(u"SHOW cursor_tuple_fraction"_s)).toString(), u"0.1"_s);
}

void tst_QueryModel::rowLimitBoundsMemory()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    model.setFetchMode(QueryModel::FetchMode::Eager);
    model.setChunkSize(20000);
    model.setRowLimit(50000);
    QSignalSpy finished(&model, &QueryModel::finished);
    const long rssBefore = maxRssKiB();
    model.setQuery(m_pool.get(), u"SELECT g, 'row ' || g AS label FROM generate_series(1, 10000000) g"_s);
    QVERIFY(finished.wait(60000));
    QCOMPARE(model.rowCount(), 50000);
    QVERIFY(model.isTruncated());
    QCOMPARE(model.record(49999).value(0).toInt(), 50000);
    // 10M rows would take hundreds of MiB; the limit keeps the client near 50k rows' worth.
    const long grownKiB = maxRssKiB() - rssBefore;
    QVERIFY2(grownKiB < 64 * 1024, qPrintable(u"peak RSS grew by %1 KiB"_s.arg(grownKiB)));
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size());
}

void tst_QueryModel::emptyResultStillHasColumns()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"SELECT 1 AS a, 'x'::text AS b WHERE false"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnNames(), QStringList({u"a"_s, u"b"_s}));
    QCOMPARE(model.status(), QueryModel::Status::Ready);
}

void tst_QueryModel::valuesAndNulls()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"SELECT NULL::text AS missing, 'NULL'::text AS word, 12.50::numeric AS price, "
                                 "'\\x0102'::bytea AS bytes, ARRAY[1,NULL,3] AS arr, true AS flag"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.rowCount(), 1);
    // NULL and the text "NULL" look alike on screen; IsNullRole and EditRole tell them apart.
    QCOMPARE(model.data(model.index(0, 0)).toString(), u"NULL"_s);
    QCOMPARE(model.data(model.index(0, 1)).toString(), u"NULL"_s);
    QVERIFY(model.data(model.index(0, 0), QueryModel::IsNullRole).toBool());
    QVERIFY(!model.data(model.index(0, 1), QueryModel::IsNullRole).toBool());
    QVERIFY(model.data(model.index(0, 0), Qt::EditRole).isNull());
    QCOMPARE(model.data(model.index(0, 1), Qt::EditRole).toString(), u"NULL"_s);
    QCOMPARE(model.data(model.index(0, 2)).toString(), u"12.50"_s);
    QCOMPARE(model.data(model.index(0, 2), Qt::TextAlignmentRole).value<Qt::Alignment>() & Qt::AlignHorizontal_Mask,
             Qt::AlignRight);
    QCOMPARE(model.data(model.index(0, 3)).toString(), u"\\x0102"_s);
    QCOMPARE(model.data(model.index(0, 4)).toString(), u"{1,NULL,3}"_s);
    QCOMPARE(model.data(model.index(0, 5)).toString(), u"true"_s);

    const QHash<int, QByteArray> roles = model.roleNames();
    QCOMPARE(roles.value(QueryModel::ColumnRole + 2), QByteArray("price"));
    QCOMPARE(roles.value(QueryModel::IsNullRole), QByteArray("isNull"));
    QCOMPARE(roles.value(Qt::DisplayRole), QByteArray("display"));
    QCOMPARE(model.data(model.index(0, 0), QueryModel::ColumnRole + 5).toBool(), true);
    QCOMPARE(model.record(0).value(u"price").toString(), u"12.50"_s);
    QVERIFY(!model.record(1).isValid());
}

void tst_QueryModel::errorIsTypedAndModelRecovers()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy errors(&model, &QueryModel::errorOccurred);
    model.setQuery(m_pool.get(), u"SELECT * FROM qm_no_such_table"_s);
    QVERIFY(errors.wait(20000));
    QCOMPARE(model.status(), QueryModel::Status::Error);
    const auto *error = dynamic_cast<const QPg::UndefinedTableError *>(model.error());
    QVERIFY(error);
    QCOMPARE(error->sqlState(), u"42P01"_s);
    QCOMPARE(error->position(), 15); // in the query as given, not in the DECLARE around it
    QVERIFY(model.errorMessage().contains(u"qm_no_such_table"_s));
    QCOMPARE(model.rowCount(), 0);
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size());

    // A syntax error in a statement that runs without a cursor keeps its position too.
    model.setQuery(m_pool.get(), u"SELEC 1"_s);
    QVERIFY(errors.wait(20000));
    QVERIFY(dynamic_cast<const QPg::SqlSyntaxError *>(model.error()));
    QCOMPARE(static_cast<const QPg::ServerError *>(model.error())->position(), 1);

    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"SELECT 7"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.status(), QueryModel::Status::Ready);
    QVERIFY(!model.error());
    QCOMPARE(model.data(model.index(0, 0)).toString(), u"7"_s);
}

void tst_QueryModel::runtimeErrorMidStream()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    model.setFetchMode(QueryModel::FetchMode::Eager);
    model.setChunkSize(100);
    for (const int rowLimit : {1000, 0}) { // a cursor's FETCHes, then one streamed query
        model.setRowLimit(rowLimit);
        QSignalSpy errors(&model, &QueryModel::errorOccurred);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        // The first rows fill the server's send buffer and reach the model a second before the
        // failing row is computed.
        model.setQuery(m_pool.get(), u"SELECT g AS r, repeat('x', 200) FROM generate_series(1, 499) g "
                                     u"UNION ALL SELECT 1 / (g - g), '' FROM generate_series(1, 1) g, pg_sleep(1)"_s);
        QVERIFY(errors.wait(20000));
        QVERIFY2(inserted.size() >= 1, qPrintable(QString::number(rowLimit))); // chunks arrived first
        QVERIFY(dynamic_cast<const QPg::DivisionByZeroError *>(model.error()));
        QCOMPARE(model.rowCount(), 0); // an incomplete result is not left behind
        QTRY_COMPARE(m_pool->idleSize(), m_pool->size());
    }
}

// Eager without a row limit: one plain query, no cursor, whose rows reach the model while the
// server still computes; chunks stay within 65 536 rows.
void tst_QueryModel::eagerWithoutLimitStreamsWithoutCursor()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    model.setFetchMode(QueryModel::FetchMode::Eager);
    QSignalSpy finished(&model, &QueryModel::finished);
    const QString sql = u"SELECT g, repeat('x', 100) FROM generate_series(1, 200) g "
                        u"UNION ALL SELECT 0, '' FROM pg_sleep(60) /* streamed-model */"_s;
    model.setQuery(m_pool.get(), sql);
    QTRY_VERIFY_WITH_TIMEOUT(model.rowCount() >= 50, 10000);
    QCOMPARE(model.status(), QueryModel::Status::Loading);
    QCOMPARE(activeBackends(u"SELECT g, repeat%streamed-model%"_s), 1);
    QCOMPARE(activeBackends(u"%FETCH%"_s), 0);
    model.cancel();
    QVERIFY(finished.wait(20000));
    QVERIFY(!model.error());
    QTRY_COMPARE(activeBackends(u"%streamed-model%"_s), 0);

    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.setQuery(m_pool.get(), u"SELECT g FROM generate_series(1, 300000) g"_s);
    QVERIFY(finished.wait(60000));
    QCOMPARE(model.rowCount(), 300000);
    QCOMPARE(model.data(model.index(299999, 0), Qt::EditRole).toInt(), 300000);
    QVERIFY(inserted.size() >= 5);
    for (const QList<QVariant> &args : inserted)
        QVERIFY(args.at(2).toInt() - args.at(1).toInt() + 1 <= 65536);
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size());
}

void tst_QueryModel::cancelStopsTheServer()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy finished(&model, &QueryModel::finished);
    QSignalSpy errors(&model, &QueryModel::errorOccurred);
    model.setQuery(m_pool.get(), u"SELECT pg_sleep(60) AS slept"_s);
    QTRY_COMPARE(activeBackends(u"FETCH FORWARD%"_s), 1);
    model.cancel();
    QVERIFY(finished.wait(10000));
    QCOMPARE(model.status(), QueryModel::Status::Ready);
    QCOMPARE(errors.size(), 0); // a cancel the user asked for is not an error
    QCOMPARE(activeBackends(u"FETCH FORWARD%"_s), 0);
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size());
}

void tst_QueryModel::newQueryCancelsThePrevious()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    model.setQuery(m_pool.get(), u"SELECT pg_sleep(60) AS slept"_s);
    QTRY_COMPARE(activeBackends(u"FETCH FORWARD%"_s), 1);
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"SELECT 42 AS answer"_s);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.size(), 1); // the old run says nothing more
    QCOMPARE(model.columnNames(), QStringList{u"answer"_s});
    QCOMPARE(model.data(model.index(0, 0)).toString(), u"42"_s);
    QTRY_COMPARE(activeBackends(u"FETCH FORWARD%"_s), 0);
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size());
}

void tst_QueryModel::statementsWithoutCursor()
{
    await(m_admin->execute(u"TRUNCATE qm_items"_s));
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"INSERT INTO qm_items VALUES ($1, $2, 1), ($3, $4, 2) RETURNING id, name"_s,
                   {1, u"one"_s, 2, u"two"_s});
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.data(model.index(1, 1)).toString(), u"two"_s);
    QCOMPARE(await(m_admin->fetchValue(u"SELECT count(*) FROM qm_items"_s)).toInt(), 2);

    model.setQuery(m_pool.get(), u"UPDATE qm_items SET price = price + 1"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnCount(), 0);
    QCOMPARE(await(m_admin->fetchValue(u"SELECT sum(price) FROM qm_items"_s)).toString(), u"5"_s);
}

// Words and semicolons inside literals, quoted names and comments say nothing about the statement:
// such a SELECT still streams through a cursor instead of being read whole.
void tst_QueryModel::keywordsInQuotesStillStream()
{
    const QStringList queries = {
        u"SELECT g AS \"into\", 'update; delete' AS note FROM generate_series(1, 1000) g"_s,
        u"SELECT g, $$insert; for update$$ AS note, E'it\\'s; merge' AS e FROM generate_series(1, 1000) g"_s,
        u"SELECT g /* ; delete */ FROM generate_series(1, 1000) g -- ; into"_s,
        u"SELECT g, $tag$ $$ ; into $tag$ AS t FROM generate_series(1, 1000) g;"_s,
    };
    for (const QString &sql : queries) {
        QueryModel model; // without the checker, which would read on by itself
        model.setChunkSize(100);
        model.setQuery(m_pool.get(), sql);
        QVERIFY2(waitForStatus(model, QueryModel::Status::Ready), qPrintable(sql));
        QVERIFY2(!model.error(), qPrintable(sql));
        QCOMPARE(model.rowCount(), 100);
        QVERIFY2(model.canFetchMore(), qPrintable(sql));
        QCOMPARE(model.data(model.index(99, 0)).toString(), u"100"_s);
    }
    // A quote never closed is the server's to report, as any other syntax error.
    QueryModel broken;
    broken.setQuery(m_pool.get(), u"SELECT 'open FROM generate_series(1, 10)"_s);
    QVERIFY(waitForStatus(broken, QueryModel::Status::Error));
    const auto *syntax = dynamic_cast<const QPg::ServerError *>(broken.error());
    QVERIFY(syntax);
    QCOMPARE(syntax->sqlState(), u"42601"_s);
}

void tst_QueryModel::commandTagOfStatementsRunWhole()
{
    await(m_admin->execute(u"TRUNCATE qm_items"_s));
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"INSERT INTO qm_items VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)"_s);
    QCOMPARE(model.commandTag(), QString()); // not before it has run
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.commandTag(), u"INSERT 0 3"_s);

    model.setQuery(m_pool.get(), u"UPDATE qm_items SET price = price + 1 WHERE id >= $1"_s, {2});
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.commandTag(), u"UPDATE 2"_s);

    model.setQuery(m_pool.get(), u"DELETE FROM qm_items WHERE id = 1 RETURNING name"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.commandTag(), u"DELETE 1"_s);
    QCOMPARE(model.data(model.index(0, 0)).toString(), u"one"_s);

    model.setQuery(m_pool.get(), u"CREATE TABLE qm_tag_probe (id int)"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.commandTag(), u"CREATE TABLE"_s);
    QCOMPARE(model.columnCount(), 0);
    model.setQuery(m_pool.get(), u"DROP TABLE qm_tag_probe"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.commandTag(), u"DROP TABLE"_s);

    // Read through a cursor: no tag of its own (the DECLARE's and FETCH's are the model's).
    model.setQuery(m_pool.get(), u"SELECT id FROM qm_items"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.commandTag(), QString());
}

void tst_QueryModel::connectionInfoShowsTheModelsQuery()
{
    // The pool's connection info shows the query the model reads, not its cursor's FETCH.
    CheckedModel checked;
    QueryModel &model = checked.model;
    const QString sql = u"SELECT pg_sleep(60) AS slept /* qm_label */"_s;
    model.setQuery(m_pool.get(), sql);
    QTRY_COMPARE(activeBackends(u"FETCH FORWARD%"_s), 1); // the server does run the FETCH
    QStringList shown;
    for (const QPg::ConnectionInfo &info : m_pool->connectionInfo()) {
        if (!info.currentQuery.isEmpty())
            shown.append(info.currentQuery);
    }
    QCOMPARE(shown, QStringList{sql});
    QSignalSpy finished(&model, &QueryModel::finished);
    model.cancel();
    QVERIFY(finished.wait(10000));
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size());
}

void tst_QueryModel::refreshKeepsSelectionByKey()
{
    await(m_admin->execute(u"TRUNCATE qm_items; INSERT INTO qm_items SELECT g, 'item ' || g, g FROM "
                           "generate_series(1, 5) g"_s));
    CheckedModel checked;
    QueryModel &model = checked.model;
    model.setKeyColumns({u"id"_s});
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"SELECT id, name FROM qm_items ORDER BY name"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.rowCount(), 5);
    QItemSelectionModel selection(&model);
    selection.select(model.index(2, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows); // id 3
    const QPersistentModelIndex current(model.index(2, 1));

    // Another client: id 1 goes, id 0 comes first, id 3 is renamed so that it sorts last.
    await(m_admin->execute(u"DELETE FROM qm_items WHERE id = 1; INSERT INTO qm_items VALUES (0, 'item 0', 0); "
                           "UPDATE qm_items SET name = 'item 9' WHERE id = 3"_s));
    QSignalSpy refreshed(&model, &QueryModel::refreshed);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.refresh();
    QVERIFY(refreshed.wait(20000));
    QCOMPARE(reset.size(), 0); // rows moved, not reset: views keep their place
    QCOMPARE(model.rowCount(), 5);
    QStringList names;
    for (int row = 0; row < model.rowCount(); ++row)
        names.append(model.data(model.index(row, 1)).toString());
    QCOMPARE(names, QStringList({u"item 0"_s, u"item 2"_s, u"item 4"_s, u"item 5"_s, u"item 9"_s}));
    QVERIFY(current.isValid());
    QCOMPARE(current.row(), 4);
    QCOMPARE(current.data().toString(), u"item 9"_s);
    QCOMPARE(selection.selectedRows().size(), 1);
    QCOMPARE(selection.selectedRows().first().row(), 4);
}

void tst_QueryModel::refreshWithoutKeyKeepsPositions()
{
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"SELECT g FROM generate_series(1, $1::int) g"_s, {10});
    QVERIFY(finished.wait(20000));
    const QPersistentModelIndex seventh(model.index(6, 0));
    QSignalSpy refreshed(&model, &QueryModel::refreshed);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    model.refresh();
    QVERIFY(refreshed.wait(20000));
    QCOMPARE(removed.size(), 0);
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(seventh.row(), 6);
}

void tst_QueryModel::refreshOnNotify()
{
    await(m_admin->execute(u"TRUNCATE qm_items; INSERT INTO qm_items VALUES (1, 'first', 1)"_s));
    CheckedModel checked;
    QueryModel &model = checked.model;
    model.setKeyColumns({u"id"_s});
    QSignalSpy listening(&model, &QueryModel::listeningChanged);
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setRefreshOnNotify(u"qm items"_s, std::chrono::milliseconds(50)); // quoted as an identifier
    model.setQuery(m_pool.get(), u"SELECT id, name FROM qm_items ORDER BY id"_s);
    QVERIFY(finished.wait(20000));
    QTRY_VERIFY(model.isListening());
    QCOMPARE(model.rowCount(), 1);

    QSignalSpy refreshed(&model, &QueryModel::refreshed);
    await(m_admin->execute(u"INSERT INTO qm_items VALUES (2, 'second', 2); NOTIFY \"qm items\""_s));
    QVERIFY(refreshed.wait(10000));
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.data(model.index(1, 1)).toString(), u"second"_s);

    // A burst of notifications is debounced into few refreshes.
    refreshed.clear();
    await(m_admin->execute(u"NOTIFY \"qm items\", 'a'; SELECT pg_notify('qm items', 'b'); "
                           "SELECT pg_notify('qm items', 'c')"_s));
    QVERIFY(refreshed.wait(10000));
    QTest::qWait(200); // no event expected; a second refresh here would be allowed but not a third
    QVERIFY(refreshed.size() <= 2);

    // Stopping releases the listener.
    model.setRefreshOnNotify(QString());
    QVERIFY(!model.isListening());
    QTRY_COMPARE(m_pool->idleSize(), m_pool->size());
}

void tst_QueryModel::notifyRefreshesAnIdleCursor()
{
    await(m_admin->execute(u"TRUNCATE qm_items; INSERT INTO qm_items SELECT g, 'item ' || g, g FROM "
                           "generate_series(1, 5) g"_s));
    QueryModel model; // on demand, without the checker (which would read to the end)
    model.setChunkSize(2);
    model.setKeyColumns({u"id"_s});
    model.setRefreshOnNotify(u"qm_idle"_s, std::chrono::milliseconds(10));
    model.setQuery(m_pool.get(), u"SELECT id, name FROM qm_items ORDER BY id"_s);
    QVERIFY(QTest::qWaitFor([&] { return model.status() == QueryModel::Status::Ready && model.isListening(); }, 20000));
    QCOMPARE(model.rowCount(), 2);
    QVERIFY(model.canFetchMore()); // the cursor waits for the view
    QSignalSpy refreshed(&model, &QueryModel::refreshed);
    await(m_admin->execute(u"UPDATE qm_items SET name = 'renamed' WHERE id = 2; NOTIFY qm_idle"_s));
    QVERIFY(refreshed.wait(10000));
    QCOMPARE(model.rowCount(), 2); // as many rows as were loaded
    QCOMPARE(model.data(model.index(1, 1)).toString(), u"renamed"_s);
    QVERIFY(model.canFetchMore());
}

void tst_QueryModel::listenerComesBackAfterSessionLoss()
{
    await(m_admin->execute(u"TRUNCATE qm_items"_s));
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy finished(&model, &QueryModel::finished);
    model.setRefreshOnNotify(u"qm_lost"_s, std::chrono::milliseconds(10));
    model.setQuery(m_pool.get(), u"SELECT count(*) AS n FROM qm_items"_s);
    QVERIFY(finished.wait(20000));
    QTRY_VERIFY(model.isListening());
    QSignalSpy listening(&model, &QueryModel::listeningChanged);
    QSignalSpy refreshed(&model, &QueryModel::refreshed);
    // The listener's session is killed; meanwhile a row arrives whose NOTIFY the model misses.
    await(m_admin->execute(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' "
                           "AND application_name = $1"_s, {sessionName}));
    await(m_admin->execute(u"INSERT INTO qm_items VALUES (1, 'x', 1)"_s));
    QTRY_VERIFY_WITH_TIMEOUT(listening.size() >= 2 && model.isListening(), 15000);
    // Back, it refreshes once on its own, since notifications may have been missed.
    QTRY_VERIFY_WITH_TIMEOUT(refreshed.size() >= 1, 10000);
    QCOMPARE(model.data(model.index(0, 0)).toString(), u"1"_s);
    refreshed.clear();
    await(m_admin->execute(u"INSERT INTO qm_items VALUES (2, 'y', 2); NOTIFY qm_lost"_s));
    QVERIFY(refreshed.wait(10000));
    QCOMPARE(model.data(model.index(0, 0)).toString(), u"2"_s);
}

void tst_QueryModel::droppedConnectionMidStream()
{
    QueryModel model; // without the checker, which would read on by itself (see streamsOnDemand)
    model.setChunkSize(10);
    QSignalSpy errors(&model, &QueryModel::errorOccurred);
    model.setQuery(m_pool.get(), u"SELECT g FROM generate_series(1, 100) g"_s);
    QVERIFY(waitForStatus(model, QueryModel::Status::Ready));
    QCOMPARE(model.rowCount(), 10);
    await(m_admin->execute(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'FETCH%' "
                           "AND application_name = $1"_s, {sessionName}));
    QVERIFY(model.canFetchMore());
    model.fetchMore();
    QVERIFY(errors.wait(20000));
    QCOMPARE(model.status(), QueryModel::Status::Error);
    QVERIFY2(dynamic_cast<const QPg::ConnectionError *>(model.error())
                 || dynamic_cast<const QPg::AdminShutdownError *>(model.error()),
             qPrintable(model.errorMessage()));
    QCOMPARE(model.rowCount(), 0);

    QSignalSpy finished(&model, &QueryModel::finished);
    model.setQuery(m_pool.get(), u"SELECT 1"_s);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.rowCount(), 1);
}

void tst_QueryModel::poolInAnotherThread()
{
    QThread worker;
    worker.start();
    auto *pool = new QPg::Pool(modelPoolOptions(1, 2));
    pool->moveToThread(&worker);
    await(pool->open());
    {
        CheckedModel checked;
        QueryModel &model = checked.model;
        model.setFetchMode(QueryModel::FetchMode::Eager);
        model.setChunkSize(100);
        QSignalSpy finished(&model, &QueryModel::finished);
        model.setQuery(pool, u"SELECT g FROM generate_series(1, 1000) g"_s);
        QVERIFY(finished.wait(20000));
        QCOMPARE(model.rowCount(), 1000);
        QCOMPARE(model.data(model.index(999, 0)).toString(), u"1000"_s);
    }
    // The model's connection is back (its COMMIT and release have run) before the pool goes.
    QTRY_COMPARE(pool->idleSize(), pool->size());
    QMetaObject::invokeMethod(pool, [pool] { delete pool; }, Qt::BlockingQueuedConnection);
    worker.quit();
    worker.wait();
}

// A caller's setQuery() must not see the model's signals re-enter it: even when the outcome is
// known at once (a closed pool refuses at once), it arrives from the event loop. Under load the
// pool's thread used to finish a whole query before the next line of setQuery() ran.
void tst_QueryModel::signalsNeverComeInsideSetQuery()
{
    auto closed = openPool(modelPoolOptions(1, 1));
    await(closed->close());
    CheckedModel checked;
    QueryModel &model = checked.model;
    QSignalSpy errors(&model, &QueryModel::errorOccurred);
    model.setQuery(closed.get(), u"SELECT 1"_s);
    QCOMPARE(errors.size(), 0);
    QCOMPARE(model.status(), QueryModel::Status::Loading);
    QVERIFY(errors.wait(10000));
    QVERIFY(dynamic_cast<const QPg::PoolClosedError *>(model.error()));
}

QTEST_MAIN(tst_QueryModel)
#include "tst_querymodel.moc"
