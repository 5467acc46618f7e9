// SPDX-License-Identifier: MIT
// The statement cache: prepared statements reused with binary results, stale plans retried,
// eviction, and the cache switched off (the PgBouncer setting).
#include <QPg/pool.h>

#include "await.h"
#include "testserver.h"

#include <QtCore/QPointF>
#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

std::unique_ptr<QPg::Connection> openConnection(int cacheSize = 100)
{
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
    options.statementCacheSize = cacheSize;
    auto con = std::make_unique<QPg::Connection>(options);
    await(con->open());
    return con;
}

qlonglong preparedCount(QPg::Connection &con)
{
    // Through the simple protocol (a script), so this query is never prepared itself.
    QPg::RecordList rows = await(con.fetch(u"SELECT count(*) FROM pg_prepared_statements WHERE name LIKE $1"_s,
                                           {u"qpg_stmt_%"_s}, {}));
    return rows.first()[0].toLongLong();
}

} // namespace

class tst_Statements : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reusesPreparedStatements();
    void binaryResultsMatchTextResults();
    void stalePlanIsRetriedOutsideTransactions();
    void stalePlanInsideTransactionFails();
    void evictsLeastRecentlyUsed();
    void cacheOffUsesUnnamedStatements();
    void poolDropsEveryCacheOnStalePlan();
    void customCodecRoundTrip();
    void customCodecFromPoolInit();
    void recordClassFillsGadget();
    void recordsAsMapsEachResultsColumns();
    void sessionChangeSeenOnEveryRun();
};

namespace {

// point ↔ QPointF, in point's text format "(x,y)".
QFuture<void> setPointCodec(QPg::Connection *con)
{
    return con->setTypeCodec(
        u"point"_s, QMetaType::fromType<QPointF>(),
        [](const QVariant &v) {
            const QPointF p = v.toPointF();
            QByteArray text("(");
            text += QByteArray::number(p.x());
            text += ',';
            text += QByteArray::number(p.y());
            text += ')';
            return text;
        },
        [](const QByteArray &text) {
            const QList<QByteArray> xy = text.mid(1, text.size() - 2).split(',');
            return QVariant(QPointF(xy.value(0).toDouble(), xy.value(1).toDouble()));
        });
}

struct Person
{
    Q_GADGET
    Q_PROPERTY(int id MEMBER id)
    Q_PROPERTY(QString name MEMBER name)
    Q_PROPERTY(double score MEMBER score)
public:
    int id = 0;
    QString name;
    double score = -1;
};

} // namespace

void tst_Statements::reusesPreparedStatements()
{
    auto con = openConnection();
    const qlonglong before = preparedCount(*con); // includes the counting query itself
    for (int i = 0; i < 5; ++i)
        QCOMPARE(await(con->fetchValue(u"SELECT $1::int + 1"_s, i)).toInt(), i + 1);
    QCOMPARE(preparedCount(*con), before + 1);
    // Another parameter type is another statement.
    QCOMPARE(await(con->fetchValue(u"SELECT $1::int + 1"_s, u"7"_s)).toInt(), 8);
    QCOMPARE(preparedCount(*con), before + 2);
}

void tst_Statements::binaryResultsMatchTextResults()
{
    auto con = openConnection();
    const QString sql = u"SELECT true, 1::int2, 2::int4, 9223372036854775807::int8, 1.5::float4, 'NaN'::float8,"
                        u" 12345678901234567890.000001::numeric, 'Zürich'::text, 'x'::varchar, 'ab'::char(3),"
                        u" '\\x00ff'::bytea, '2024-02-29'::date, '23:59:59.123456'::time, '12:00+02'::timetz,"
                        u" '2024-02-29 23:59:59.123456'::timestamp, '2024-02-29 23:59:59.123456+05:30'::timestamptz,"
                        u" 'infinity'::timestamptz, '1 year 2 mons 3 days 04:05:06.789'::interval,"
                        u" 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{\"a\": [1, 2]}'::json, '{\"b\": null}'::jsonb,"
                        u" 26::oid, '192.168.0.0/24'::cidr, '::1'::inet, ARRAY[1, NULL, 3]::int4[],"
                        u" ARRAY[['a', NULL], ['c', 'd\"e']]::text[], ARRAY[]::int8[], NULL::int4, $1::int"_s;
    const QPg::Record text = await(con->fetchRow(sql, {1}));   // first run: prepared, text results
    const QPg::Record binary = await(con->fetchRow(sql, {1})); // cached: binary results
    QCOMPARE(binary.size(), text.size());
    for (int c = 0; c < text.size(); ++c) {
        const QVariant t = text.value(c);
        const QVariant b = binary.value(c);
        QVERIFY2(b.metaType() == t.metaType(),
                 qPrintable(u"column %1: %2 vs %3"_s.arg(c).arg(QString::fromLatin1(b.typeName()), QString::fromLatin1(t.typeName()))));
        if (t.metaType() == QMetaType::fromType<double>() && std::isnan(t.toDouble()))
            QVERIFY(std::isnan(b.toDouble()));
        else
            QVERIFY2(b == t, qPrintable(u"column %1 (%2): %3 vs %4"_s.arg(c).arg(text.columnTypeName(c), b.toString(), t.toString())));
    }
}

void tst_Statements::stalePlanIsRetriedOutsideTransactions()
{
    auto con = openConnection();
    await(con->execute(u"DROP TABLE IF EXISTS stale; CREATE TABLE stale (a int); INSERT INTO stale VALUES (1)"_s));
    for (int i = 0; i < 2; ++i)
        QCOMPARE(await(con->fetchRow(u"SELECT * FROM stale WHERE a = $1"_s, 1)).size(), 1);
    await(con->execute(u"ALTER TABLE stale ADD COLUMN b text DEFAULT 'new'"_s));
    const QPg::Record row = await(con->fetchRow(u"SELECT * FROM stale WHERE a = $1"_s, 1));
    QCOMPARE(row.size(), 2);
    QCOMPARE(row[u"b"].toString(), u"new"_s);
    await(con->execute(u"DROP TABLE stale"_s));
}

void tst_Statements::stalePlanInsideTransactionFails()
{
    auto con = openConnection();
    await(con->execute(u"DROP TABLE IF EXISTS stale2; CREATE TABLE stale2 (a int); INSERT INTO stale2 VALUES (1)"_s));
    for (int i = 0; i < 2; ++i)
        await(con->fetchRow(u"SELECT * FROM stale2 WHERE a = $1"_s, 1));
    QPg::Connection other(dsn());
    await(other.open());
    await(other.execute(u"ALTER TABLE stale2 ADD COLUMN b int"_s));
    QPg::Transaction tx = con->transaction();
    await(tx.start());
    // Retrying inside the transaction is impossible: the error aborted it.
    QVERIFY(awaitError<QPg::FeatureNotSupportedError>(con->fetchRow(u"SELECT * FROM stale2 WHERE a = $1"_s, 1)));
    await(tx.rollback());
    QCOMPARE(await(con->fetchRow(u"SELECT * FROM stale2 WHERE a = $1"_s, 1)).size(), 2);
    await(con->execute(u"DROP TABLE stale2"_s));
}

void tst_Statements::evictsLeastRecentlyUsed()
{
    auto con = openConnection(2);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(await(con->fetchValue(u"SELECT %1 + $1::int"_s.arg(i), 0)).toInt(), i);
    // The counting query is the newest entry; the server holds no more than the cache does.
    QCOMPARE(preparedCount(*con), 2LL);
}

void tst_Statements::cacheOffUsesUnnamedStatements()
{
    auto con = openConnection(0);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(await(con->fetchValue(u"SELECT $1::int"_s, i)).toInt(), i);
    QCOMPARE(preparedCount(*con), 0LL);
}

void tst_Statements::poolDropsEveryCacheOnStalePlan()
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn());
    options.minSize = options.maxSize = 2;
    QPg::Pool pool(options);
    await(pool.open());
    await(pool.execute(u"DROP TABLE IF EXISTS stale3; CREATE TABLE stale3 (a int); INSERT INTO stale3 VALUES (1)"_s));
    QPg::PooledConnection a = await(pool.acquire());
    QPg::PooledConnection b = await(pool.acquire());
    for (int i = 0; i < 2; ++i) {
        await(a.fetchRow(u"SELECT * FROM stale3 WHERE a = $1"_s, 1));
        await(b.fetchRow(u"SELECT * FROM stale3 WHERE a = $1"_s, 1));
    }
    const qlonglong preparedOnB = preparedCount(*b.connection());
    await(a.execute(u"ALTER TABLE stale3 ADD COLUMN b int"_s));
    QCOMPARE(await(a.fetchRow(u"SELECT * FROM stale3 WHERE a = $1"_s, 1)).size(), 2);
    // b's cache went with a's: its next run prepares afresh instead of failing first.
    QCOMPARE(await(b.fetchRow(u"SELECT * FROM stale3 WHERE a = $1"_s, 1)).size(), 2);
    QVERIFY(preparedCount(*b.connection()) <= preparedOnB + 1);
    a.release();
    b.release();
    await(pool.execute(u"DROP TABLE stale3"_s));
}

void tst_Statements::customCodecRoundTrip()
{
    auto con = openConnection();
    QCOMPARE(await(con->fetchValue(u"SELECT '(1,2)'::point"_s)).toString(), u"(1,2)"_s); // no codec: text
    await(setPointCodec(con.get()));
    for (int i = 0; i < 2; ++i) { // prepared, then cached
        const QVariant p = await(con->fetchValue(u"SELECT $1::point"_s, QPointF(1.5, -2)));
        QCOMPARE(p.metaType(), QMetaType::fromType<QPointF>());
        QCOMPARE(p.toPointF(), QPointF(1.5, -2));
    }
    await(con->execute(u"CREATE TEMP TABLE shapes (at point)"_s));
    await(con->executeMany(u"INSERT INTO shapes VALUES ($1)"_s, {{QPointF(0, 0)}, {QPointF(3, 4)}}));
    QCOMPARE(await(con->fetchValue(u"SELECT sum(at[0] + at[1]) FROM shapes"_s)).toDouble(), 7.0);
    QCOMPARE(await(con->fetch(u"SELECT at FROM shapes ORDER BY at[0]"_s)).last()[0].toPointF(), QPointF(3, 4));
    QVERIFY(awaitError<QPg::ServerError>(con->setTypeCodec(u"no_such_type"_s, QMetaType(), {}, {})));
}

void tst_Statements::customCodecFromPoolInit()
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn());
    options.minSize = 1;
    options.maxSize = 2;
    options.init = [](QPg::Connection *c) { return setPointCodec(c); };
    QPg::Pool pool(options);
    await(pool.open());
    QCOMPARE(await(pool.fetchValue(u"SELECT point(1, 2)"_s)).toPointF(), QPointF(1, 2));
}

void tst_Statements::recordClassFillsGadget()
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn());
    options.minSize = options.maxSize = 1;
    QPg::Pool pool(options);
    await(pool.open());
    const QList<Person> people = await(pool.fetchAs<Person>(
        u"SELECT 1 AS id, 'Ada' AS name, 9.5::float8 AS score, 'ignored' AS extra"
        u" UNION ALL SELECT 2, 'Bob', NULL, ''"_s));
    QCOMPARE(people.size(), 2);
    QCOMPARE(people[0].id, 1);
    QCOMPARE(people[0].name, u"Ada"_s);
    QCOMPARE(people[0].score, 9.5);
    QCOMPARE(people[1].name, u"Bob"_s);
    QCOMPARE(people[1].score, -1.0); // NULL leaves the default
    auto con = openConnection();
    QCOMPARE(await(con->fetchAs<Person>(u"SELECT 7 AS id"_s)).first().id, 7);
}

// recordsAs() matches columns to properties once per result: records of several results in one list,
// with the columns in other orders, still fill by name, and a "no row" record leaves the defaults.
void tst_Statements::recordsAsMapsEachResultsColumns()
{
    auto con = openConnection();
    const QPg::RecordList first = await(con->fetch(u"SELECT 1 AS id, 'Ada' AS name UNION ALL SELECT 2, 'Bob'"_s));
    const QPg::RecordList second = await(con->fetch(
        u"SELECT 'Cy' AS name, 2.5::float8 AS score, 3 AS id, 'shadowed' AS name"_s));
    const QPg::Record none = await(con->fetchRow(u"SELECT 4 AS id WHERE false"_s));
    QVERIFY(!none.isValid());
    const QList<Person> people = QPg::recordsAs<Person>(first + second + QPg::RecordList{none} + first);
    QCOMPARE(people.size(), 6);
    QCOMPARE(people[0].id, 1);
    QCOMPARE(people[1].name, u"Bob"_s);
    QCOMPARE(people[1].score, -1.0);
    QCOMPARE(people[2].id, 3);
    QCOMPARE(people[2].name, u"Cy"_s); // the first column of a name wins
    QCOMPARE(people[2].score, 2.5);
    QCOMPARE(people[3].id, 0);
    QVERIFY(people[3].name.isNull());
    QCOMPARE(people[4].id, 1);
    QCOMPARE(people[4].name, u"Ada"_s);
    QCOMPARE(people[4].score, -1.0);
    QCOMPARE(people[5].name, u"Bob"_s);
}

QTEST_MAIN(tst_Statements)
// What a statement's text says (here: set_config changes the session) is remembered per text: the
// pool must still reset after the second and later runs, which take it from the cache.
void tst_Statements::sessionChangeSeenOnEveryRun()
{
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn());
    options.minSize = 1;
    options.maxSize = 1;
    QPg::Pool pool(options);
    await(pool.open());
    const QString original = await(pool.fetchValue(u"SELECT current_setting('application_name')"_s)).toString();
    for (const QString &sql : {u"SELECT set_config('application_name', 'changed', false)"_s,
                               u"  select SET_CONFIG('application_name', 'changed', false)"_s}) {
        for (int run = 0; run < 3; ++run) {
            QCOMPARE(await(pool.fetchValue(sql)).toString(), u"changed"_s);
            QCOMPARE(await(pool.fetchValue(u"SELECT current_setting('application_name')"_s)).toString(), original);
        }
    }
}

#include "tst_statements.moc"
