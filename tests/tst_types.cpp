// SPDX-License-Identifier: MIT
// Type mapping between Qt values and PostgreSQL, through the public API against the test run's server:
// parameters going in, text-format results coming out.
#include <QPg/connection.h>
#include <QPg/errors.h>
#include <QPg/record.h>
#include <QPg/timestamp.h>

#include "await.h"
#include "samevalue.h"
#include "testserver.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QPointF>
#include <QtCore/QUuid>
#include <QtTest/QTest>

#include <cmath>
#include <limits>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

const QVariant sqlNull = QVariant::fromValue(nullptr);

QVariant timestamp(const QString &text, bool withTimeZone = true)
{
    const auto t = QPg::Timestamp::fromPostgresText(text, withTimeZone);
    Q_ASSERT(!t.isNull());
    return QVariant::fromValue(t);
}

#define COMPARE_VALUE(actual, expected)                                                                       \
    do {                                                                                                   \
        const QVariant actualValue_ = (actual);                                                            \
        const QVariant expectedValue_ = (expected);                                                        \
        if (!sameValue(actualValue_, expectedValue_))                                                      \
            QFAIL(qPrintable(u"values differ\n   Actual:   "_s + QDebug::toString(actualValue_)            \
                             + u"\n   Expected: "_s + QDebug::toString(expectedValue_)));                 \
    } while (false)

} // namespace

class tst_Types : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void roundTrip_data();
    void roundTrip();
    void serverOutput_data();
    void serverOutput();
    void nullVersusEmpty();
    void timestampOffsets_data();
    void timestampOffsets();
    void timestampConversions();
    void jsonParameters();
    void arrayParameters();
    void enumsAndUnknownTypes();
    void unsupportedParameterType();
    void typeNames();
    void recordAccess();

private:
    QPg::Record row(const QString &sql, const QVariantList &args = {});
    QVariant value(const QString &sql, const QVariantList &args = {});
    QPg::RecordList rows(const QString &sql, const QVariantList &args = {});
    QString execute(const QString &sql, const QVariantList &args = {});

    std::unique_ptr<QPg::Connection> m_con;
};

// The helpers pass args on as const lvalues: that selects Connection's QVariantList overloads, not the
// variadic templates (which would take a QVariantList rvalue as one list-valued argument).
QPg::Record tst_Types::row(const QString &sql, const QVariantList &args)
{
    return await(m_con->fetchRow(sql, args));
}

QVariant tst_Types::value(const QString &sql, const QVariantList &args)
{
    return await(m_con->fetchValue(sql, args));
}

QPg::RecordList tst_Types::rows(const QString &sql, const QVariantList &args)
{
    return await(m_con->fetch(sql, args));
}

QString tst_Types::execute(const QString &sql, const QVariantList &args)
{
    return await(m_con->execute(sql, args));
}

void tst_Types::initTestCase()
{
    m_con = std::make_unique<QPg::Connection>(dsn());
    await(m_con->open());
    QVERIFY(m_con->isReady());
    // Known output for timestamptz and money; the decoders themselves do not depend on either.
    execute(u"SET TimeZone TO 'UTC'"_s);
    execute(u"SET lc_monetary TO 'C'"_s);
}

void tst_Types::cleanupTestCase()
{
    if (m_con && m_con->isReady())
        await(m_con->close());
    m_con.reset();
}

// A Qt value sent as $1 and cast to `type` comes back as `expected`, and PostgreSQL's own text for it
// (($1::type)::text) is `text` (not checked when text is null).
void tst_Types::roundTrip_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QVariant>("input");
    QTest::addColumn<QVariant>("expected");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("sendBack");

    // sendBack: also check that the decoded value, sent as a parameter, equals the input on the server
    // (false where that cannot hold: lossy decoding, types without an equality operator).
    const auto add = [](const char *name, const QString &type, const QVariant &input, const QVariant &expected,
                        const QString &text, bool sendBack = true) {
        QTest::newRow(name) << type << input << expected << text << sendBack;
    };
    constexpr double inf = std::numeric_limits<double>::infinity();

    // Integers.
    add("int2 max", u"int2"_s, 32767, 32767, u"32767"_s);
    add("int2 min", u"int2"_s, -32768, -32768, u"-32768"_s);
    add("int4 max", u"int4"_s, std::numeric_limits<int>::max(), std::numeric_limits<int>::max(), u"2147483647"_s);
    add("int4 min", u"int4"_s, std::numeric_limits<int>::min(), std::numeric_limits<int>::min(), u"-2147483648"_s);
    add("int4 from short", u"int4"_s, QVariant::fromValue<short>(-7), -7, u"-7"_s);
    add("int8 max", u"int8"_s, std::numeric_limits<qlonglong>::max(), std::numeric_limits<qlonglong>::max(),
        u"9223372036854775807"_s);
    add("int8 min", u"int8"_s, std::numeric_limits<qlonglong>::min(), std::numeric_limits<qlonglong>::min(),
        u"-9223372036854775808"_s);
    add("int8 from uint", u"int8"_s, 4000000000u, qlonglong(4000000000), u"4000000000"_s);
    add("numeric from qulonglong max", u"numeric"_s, std::numeric_limits<qulonglong>::max(),
        u"18446744073709551615"_s, u"18446744073709551615"_s);
    add("oid", u"oid"_s, 4294967295u, 4294967295u, u"4294967295"_s);

    // Floating point and numeric.
    add("float8 0.1+0.2", u"float8"_s, 0.1 + 0.2, 0.1 + 0.2, u"0.30000000000000004"_s);
    add("float8 big", u"float8"_s, 1e300, 1e300, u"1e+300"_s);
    add("float8 denormal", u"float8"_s, 5e-324, 5e-324, u"5e-324"_s);
    add("float8 -0", u"float8"_s, -0.0, -0.0, u"-0"_s);
    add("float8 NaN", u"float8"_s, std::nan(""), std::nan(""), u"NaN"_s);
    add("float8 Infinity", u"float8"_s, inf, inf, u"Infinity"_s);
    add("float8 -Infinity", u"float8"_s, -inf, -inf, u"-Infinity"_s);
    add("float4", u"float4"_s, 0.1f, 0.1, u"0.1"_s);
    add("float4 max", u"float4"_s, 3.4e38f, 3.4e38, u"3.4e+38"_s);
    const QString digits40 = u"1234567890123456789012345678901234567890.0123456789"_s;
    add("numeric 40 digits", u"numeric"_s, digits40, digits40, digits40);
    add("numeric NaN", u"numeric"_s, u"NaN"_s, u"NaN"_s, u"NaN"_s);
    add("numeric Infinity", u"numeric"_s, u"-Infinity"_s, u"-Infinity"_s, u"-Infinity"_s);

    // Booleans and text.
    add("bool true", u"bool"_s, true, true, u"true"_s);
    add("bool false", u"bool"_s, false, false, u"false"_s);
    const QString unicode = u"Zürich ✓ 日本 😀"_s;
    add("text unicode", u"text"_s, unicode, unicode, unicode);
    add("text empty", u"text"_s, u""_s, u""_s, u""_s);
    const QString special = u"it's \"quoted\" \\ back\nslash\t{a,b} NULL"_s;
    add("text special", u"text"_s, special, special, special);
    add("varchar", u"varchar"_s, u"v"_s, u"v"_s, u"v"_s);
    add("bpchar padded", u"char(4)"_s, u"ab"_s, u"ab  "_s, u"ab"_s);
    add("name", u"name"_s, u"pg_class"_s, u"pg_class"_s, u"pg_class"_s);

    // bytea: sent in binary, read from hex.
    add("bytea zero bytes", u"bytea"_s, QByteArray("\0a\0\xff", 4), QByteArray("\0a\0\xff", 4), u"\\x006100ff"_s);
    add("bytea empty", u"bytea"_s, QByteArray(""), QByteArray(""), u"\\x"_s);
    QByteArray allBytes(256, '\0');
    for (int i = 0; i < 256; ++i)
        allBytes[i] = char(i);
    add("bytea all bytes", u"bytea"_s, allBytes, allBytes, u"\\x"_s + QString::fromLatin1(allBytes.toHex()));

    // Dates and times.
    add("date leap day", u"date"_s, QDate(2024, 2, 29), QDate(2024, 2, 29), u"2024-02-29"_s);
    add("date 1 AD", u"date"_s, QDate(1, 1, 1), QDate(1, 1, 1), u"0001-01-01"_s);
    add("date 1 BC", u"date"_s, QDate(-1, 12, 31), QDate(-1, 12, 31), u"0001-12-31 BC"_s);
    add("date 44 BC", u"date"_s, QDate(-44, 3, 15), QDate(-44, 3, 15), u"0044-03-15 BC"_s);
    add("date five digit year", u"date"_s, QDate(10000, 1, 1), QDate(10000, 1, 1), u"10000-01-01"_s);
    add("date infinity", u"date"_s, u"infinity"_s, u"infinity"_s, u"infinity"_s);
    add("date -infinity", u"date"_s, u"-infinity"_s, u"-infinity"_s, u"-infinity"_s);
    add("time ms", u"time"_s, QTime(23, 59, 59, 999), QTime(23, 59, 59, 999), u"23:59:59.999"_s);
    add("time us truncated", u"time"_s, u"12:34:56.123456"_s, QTime(12, 34, 56, 123), u"12:34:56.123456"_s,
        false);
    add("timetz", u"timetz"_s, u"12:34:56+05:30"_s, u"12:34:56+05:30"_s, u"12:34:56+05:30"_s);
    add("interval", u"interval"_s, u"1 day 2 hours"_s, u"1 day 02:00:00"_s, u"1 day 02:00:00"_s);

    add("timestamptz us", u"timestamptz"_s, timestamp(u"2024-02-29 23:59:59.123456+00"_s),
        timestamp(u"2024-02-29 23:59:59.123456+00"_s), u"2024-02-29 23:59:59.123456+00"_s);
    add("timestamptz before 1970", u"timestamptz"_s, timestamp(u"1969-12-31 23:59:59.999999+00"_s),
        timestamp(u"1969-12-31 23:59:59.999999+00"_s), u"1969-12-31 23:59:59.999999+00"_s);
    add("timestamptz BC", u"timestamptz"_s, timestamp(u"0044-03-15 12:00:00.5+00 BC"_s),
        timestamp(u"0044-03-15 12:00:00.5+00 BC"_s), u"0044-03-15 12:00:00.5+00 BC"_s);
    add("timestamptz infinity", u"timestamptz"_s, QVariant::fromValue(QPg::Timestamp::infinity()),
        QVariant::fromValue(QPg::Timestamp::infinity()), u"infinity"_s);
    add("timestamptz -infinity", u"timestamptz"_s, QVariant::fromValue(QPg::Timestamp::minusInfinity()),
        QVariant::fromValue(QPg::Timestamp::minusInfinity()), u"-infinity"_s);
    add("timestamptz from QDateTime", u"timestamptz"_s,
        QDateTime(QDate(2024, 5, 1), QTime(12, 34, 56, 789), Qt::OffsetFromUTC, 2 * 3600),
        timestamp(u"2024-05-01 10:34:56.789+00"_s), u"2024-05-01 10:34:56.789+00"_s);
    add("timestamp us", u"timestamp"_s, timestamp(u"2024-02-29 23:59:59.123456"_s, false),
        timestamp(u"2024-02-29 23:59:59.123456"_s, false), u"2024-02-29 23:59:59.123456"_s);
    add("timestamp from text", u"timestamp"_s, u"2024-02-29 23:59:59.123456"_s,
        timestamp(u"2024-02-29 23:59:59.123456"_s, false), u"2024-02-29 23:59:59.123456"_s);
    add("timestamp from timestamptz value", u"timestamp"_s, timestamp(u"2024-02-29 23:59:59.123456+00"_s),
        timestamp(u"2024-02-29 23:59:59.123456"_s, false), u"2024-02-29 23:59:59.123456"_s);
    add("timestamp infinity", u"timestamp"_s, QVariant::fromValue(QPg::Timestamp::infinity(false)),
        QVariant::fromValue(QPg::Timestamp::infinity(false)), u"infinity"_s);

    // uuid, json, network types.
    const QUuid uuid(u"67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0"_s);
    add("uuid", u"uuid"_s, uuid, uuid, u"67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0"_s);
    add("uuid nil", u"uuid"_s, QUuid(), QUuid(), u"00000000-0000-0000-0000-000000000000"_s);
    add("uuid from text", u"uuid"_s, u"67C8770B-44F1-410A-AB9A-B2D0D4C9CDD0"_s, uuid,
        u"67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0"_s);
    const QJsonObject object{{u"a"_s, 1}, {u"b"_s, QJsonArray{true, QJsonValue(), u"x"_s}}};
    add("jsonb object", u"jsonb"_s, object, QJsonValue(object), uR"({"a": 1, "b": [true, null, "x"]})"_s);
    add("json object", u"json"_s, object, QJsonValue(object), uR"({"a": 1, "b": [true, null, "x"]})"_s, false);
    add("jsonb array", u"jsonb"_s, QJsonArray{1, 2.5, u"ü"_s}, QJsonValue(QJsonArray{1, 2.5, u"ü"_s}),
        uR"([1, 2.5, "ü"])"_s);
    add("jsonb string", u"jsonb"_s, QJsonValue(u"s\"q"_s), QJsonValue(u"s\"q"_s), uR"("s\"q")"_s);
    add("jsonb number", u"jsonb"_s, QJsonValue(42), QJsonValue(42), u"42"_s);
    add("jsonb null", u"jsonb"_s, QJsonValue(QJsonValue::Null), QJsonValue(QJsonValue::Null), u"null"_s);
    add("jsonb document", u"jsonb"_s, QJsonDocument(QJsonArray{1}), QJsonValue(QJsonArray{1}), u"[1]"_s);
    add("jsonb from QVariantMap", u"jsonb"_s, QVariantMap{{u"k"_s, u"v"_s}},
        QJsonValue(QJsonObject{{u"k"_s, u"v"_s}}), uR"({"k": "v"})"_s);
    add("jsonb from text", u"jsonb"_s, uR"({"z":[1,{"y":null}]})"_s,
        QJsonValue(QJsonObject{{u"z"_s, QJsonArray{1, QJsonObject{{u"y"_s, QJsonValue()}}}}}),
        uR"({"z": [1, {"y": null}]})"_s);
    add("inet", u"inet"_s, u"10.1.2.3/8"_s, u"10.1.2.3/8"_s, u"10.1.2.3/8"_s);
    add("cidr", u"cidr"_s, u"10.0.0.0/8"_s, u"10.0.0.0/8"_s, u"10.0.0.0/8"_s);

    // Arrays.
    add("int4[] with NULL", u"int4[]"_s, QVariantList{1, QVariant(), 3}, QVariantList{1, sqlNull, 3}, u"{1,NULL,3}"_s);
    add("int4[] from QList<int>", u"int4[]"_s, QVariant::fromValue(QList<int>{4, 5}), QVariantList{4, 5}, u"{4,5}"_s);
    add("int4[] empty", u"int4[]"_s, QVariantList{}, QVariantList{}, u"{}"_s);
    add("int8[] extremes", u"int8[]"_s,
        QVariantList{std::numeric_limits<qlonglong>::min(), std::numeric_limits<qlonglong>::max()},
        QVariantList{std::numeric_limits<qlonglong>::min(), std::numeric_limits<qlonglong>::max()},
        u"{-9223372036854775808,9223372036854775807}"_s);
    add("int4[][]", u"int4[]"_s, QVariantList{QVariantList{1, 2}, QVariantList{3, QVariant()}},
        QVariantList{QVariantList{1, 2}, QVariantList{3, sqlNull}}, u"{{1,2},{3,NULL}}"_s);
    const QStringList strings{u"a b"_s, u"NULL"_s, u"null"_s, u"q\"uote"_s, u"back\\slash"_s, u""_s, u"{x},y"_s,
                              u" padded "_s, unicode};
    QVariantList stringValues;
    for (const QString &s : strings)
        stringValues.append(s);
    add("text[] specials", u"text[]"_s, strings, stringValues,
        uR"({"a b","NULL","null","q\"uote","back\\slash","","{x},y"," padded ","Zürich ✓ 日本 😀"})"_s);
    add("text[] with NULL", u"text[]"_s, QVariantList{u"a"_s, QVariant(), u"NULL"_s},
        QVariantList{u"a"_s, sqlNull, u"NULL"_s}, uR"({a,NULL,"NULL"})"_s);
    add("text[][]", u"text[]"_s, QVariantList{QVariantList{u"a"_s, u"b c"_s}, QVariantList{QVariant(), u"d"_s}},
        QVariantList{QVariantList{u"a"_s, u"b c"_s}, QVariantList{sqlNull, u"d"_s}}, uR"({{a,"b c"},{NULL,d}})"_s);
    add("bool[]", u"bool[]"_s, QVariantList{true, false, QVariant()}, QVariantList{true, false, sqlNull},
        u"{t,f,NULL}"_s);
    add("float8[]", u"float8[]"_s, QVariantList{0.5, std::nan(""), -inf}, QVariantList{0.5, std::nan(""), -inf},
        u"{0.5,NaN,-Infinity}"_s);
    add("numeric[] from mixed numbers", u"numeric[]"_s, QVariantList{1, 2.5}, QVariantList{u"1"_s, u"2.5"_s},
        u"{1,2.5}"_s);
    add("bytea[]", u"bytea[]"_s, QVariantList{QByteArray("\0\1", 2), QVariant()},
        QVariantList{QByteArray("\0\1", 2), sqlNull}, uR"({"\\x0001",NULL})"_s);
    add("date[]", u"date[]"_s, QVariantList{QDate(2024, 1, 31), QDate(-44, 3, 15)},
        QVariantList{QDate(2024, 1, 31), QDate(-44, 3, 15)}, uR"({2024-01-31,"0044-03-15 BC"})"_s);
    add("timestamptz[]", u"timestamptz[]"_s,
        QVariantList{timestamp(u"2024-02-29 23:59:59.123456+00"_s), QVariant::fromValue(QPg::Timestamp::infinity())},
        QVariantList{timestamp(u"2024-02-29 23:59:59.123456+00"_s), QVariant::fromValue(QPg::Timestamp::infinity())},
        uR"({"2024-02-29 23:59:59.123456+00",infinity})"_s);
    add("uuid[] from strings", u"uuid[]"_s, QStringList{uuid.toString(QUuid::WithoutBraces)}, QVariantList{uuid},
        u"{67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0}"_s);
    add("jsonb[]", u"jsonb[]"_s, QVariantList{QJsonObject{{u"a"_s, u"b c"_s}}, QJsonValue(1)},
        QVariantList{QJsonValue(QJsonObject{{u"a"_s, u"b c"_s}}), QJsonValue(1)}, uR"({"{\"a\": \"b c\"}",1})"_s);
    add("varchar[]", u"varchar[]"_s, QStringList{u"x"_s, u"y z"_s}, QVariantList{u"x"_s, u"y z"_s},
        uR"({x,"y z"})"_s);

    // Types without a Qt mapping come back as their text.
    add("point", u"point"_s, u"(1,2)"_s, u"(1,2)"_s, u"(1,2)"_s, false);
    add("money", u"money"_s, u"12.34"_s, u"$12.34"_s, u"$12.34"_s);
    add("macaddr", u"macaddr"_s, u"08:00:2b:01:02:03"_s, u"08:00:2b:01:02:03"_s, u"08:00:2b:01:02:03"_s);
}

void tst_Types::roundTrip()
{
    QFETCH(QString, type);
    QFETCH(QVariant, input);
    QFETCH(QVariant, expected);
    QFETCH(QString, text);
    QFETCH(bool, sendBack);

    const QPg::Record r = row(u"SELECT $1::"_s + type + u", ($1::"_s + type + u")::text"_s, QVariantList{input});
    QVERIFY(r.isValid());
    COMPARE_VALUE(r.value(0), expected);
    if (!text.isNull())
        QCOMPARE(r.value(1).toString(), text);

    // The decoded value, sent back, is still the same value (PostgreSQL's NaN equals NaN).
    if (sendBack) {
        const QVariant same = value(u"SELECT $1::"_s + type + u" IS NOT DISTINCT FROM $2::"_s + type,
                                    QVariantList{input, r.value(0)});
        QCOMPARE(same, QVariant(true));
    }
}

// Values PostgreSQL produces itself, no parameters involved.
void tst_Types::serverOutput_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QVariant>("expected");

    const auto add = [](const char *name, const QString &expression, const QVariant &expected) {
        QTest::newRow(name) << expression << expected;
    };
    add("null", u"NULL::int4"_s, sqlNull);
    add("null jsonb", u"NULL::jsonb"_s, sqlNull);
    add("plain int", u"1"_s, 1);
    add("bigint sum", u"9223372036854775806::int8 + 1"_s, std::numeric_limits<qlonglong>::max());
    add("count", u"count(*) FROM generate_series(1, 3)"_s, qlonglong(3));
    add("oid", u"'pg_class'::regclass::oid"_s, 1259u);
    add("char", u"'a'::\"char\""_s, u"a"_s);
    add("text literal", u"'x'"_s, u"x"_s);
    add("numeric", u"1::numeric / 3"_s, u"0.33333333333333333333"_s);
    add("numeric Infinity", u"'Infinity'::numeric"_s, u"Infinity"_s);
    add("float4", u"'1.5'::float4"_s, 1.5);
    add("bytea decode", u"decode('00ff10', 'hex')"_s, QByteArray("\x00\xff\x10", 3));
    add("date max", u"'5874897-12-31'::date"_s, QDate(5874897, 12, 31));
    add("date min", u"'4714-11-24 BC'::date"_s, QDate(-4714, 11, 24));
    add("time 24:00", u"'24:00:00'::time"_s, u"24:00:00"_s);
    add("time midnight", u"'00:00'::time"_s, QTime(0, 0));
    add("timestamp 24:00 rolls over", u"'2024-01-01 24:00:00'::timestamp"_s, timestamp(u"2024-01-02 00:00:00"_s, false));
    add("timestamptz min", u"'4714-11-24 00:00:00+00 BC'::timestamptz"_s, timestamp(u"4714-11-24 00:00:00+00 BC"_s));
    add("json scalar", u"'\"x\"'::json"_s, QJsonValue(u"x"_s));
    add("json spaces kept", u"'{ \"a\" : [ 1 , 2 ] }'::json"_s, QJsonValue(QJsonObject{{u"a"_s, QJsonArray{1, 2}}}));
    add("jsonb null", u"'null'::jsonb"_s, QJsonValue(QJsonValue::Null));
    add("jsonb nested", u"'{\"a\": {\"b\": [1, \"2\", false]}}'::jsonb"_s,
        QJsonValue(QJsonObject{{u"a"_s, QJsonObject{{u"b"_s, QJsonArray{1, u"2"_s, false}}}}}));
    add("array lower bound", u"'[0:1]={5,6}'::int4[]"_s, QVariantList{5, 6});
    add("array 2-D lower bounds", u"'[1:2][3:4]={{1,2},{3,4}}'::int4[]"_s,
        QVariantList{QVariantList{1, 2}, QVariantList{3, 4}});
    add("array 3-D", u"ARRAY[[[1],[2]],[[3],[4]]]"_s,
        QVariantList{QVariantList{QVariantList{1}, QVariantList{2}}, QVariantList{QVariantList{3}, QVariantList{4}}});
    add("array empty", u"ARRAY[]::text[]"_s, QVariantList{});
    add("array of quoted", u"ARRAY['a\"b', 'c\\d', 'NULL', NULL, '', ' ']"_s,
        QVariantList{u"a\"b"_s, u"c\\d"_s, u"NULL"_s, sqlNull, u""_s, u" "_s});
    add("array of name", u"ARRAY['pg_class'::name]"_s, QVariantList{u"pg_class"_s});
    add("array of interval", u"ARRAY['1 day'::interval]"_s, QVariantList{u"1 day"_s});
    add("array of numeric", u"ARRAY[1.50, 'NaN']::numeric[]"_s, QVariantList{u"1.50"_s, u"NaN"_s});
    add("array of oid", u"ARRAY[1, 2]::oid[]"_s, QVariantList{1u, 2u});
    add("array of int2", u"ARRAY[1, -2]::int2[]"_s, QVariantList{1, -2});
    add("array of float4", u"ARRAY[0.25, 'Infinity']::float4[]"_s,
        QVariantList{0.25, std::numeric_limits<double>::infinity()});
    add("array of json", u"ARRAY['{\"k\": \"v,}\"}'::json]"_s, QVariantList{QJsonValue(QJsonObject{{u"k"_s, u"v,}"_s}})});
    add("array of time", u"ARRAY['01:02:03.5'::time]"_s, QVariantList{QTime(1, 2, 3, 500)});
    add("array of timestamp", u"ARRAY['2000-01-01 00:00:00.000001'::timestamp]"_s,
        QVariantList{timestamp(u"2000-01-01 00:00:00.000001"_s, false)});
    add("array of point", u"ARRAY[point(1, 2)]"_s, uR"x({"(1,2)"})x"_s);
    add("row", u"ROW(1, 'a b')"_s, u"(1,\"a b\")"_s);
    add("point", u"point(1, 2)"_s, u"(1,2)"_s);
    add("int4range", u"int4range(1, 5)"_s, u"[1,5)"_s);
    add("xml", u"'<a/>'::xml"_s, u"<a/>"_s);
    add("bit", u"B'101'"_s, u"101"_s);
    add("tsvector", u"'a b'::tsvector"_s, u"'a' 'b'"_s);
}

void tst_Types::serverOutput()
{
    QFETCH(QString, expression);
    QFETCH(QVariant, expected);
    COMPARE_VALUE(value(u"SELECT "_s + expression), expected);
}

void tst_Types::nullVersusEmpty()
{
    const QString sql = u"SELECT $1::text IS NULL, $1::text = '', $1::text"_s;

    QPg::Record r = row(sql, QVariantList{QVariant()});
    QCOMPARE(r.value(0), QVariant(true));
    QVERIFY(r.isNull(1));
    QVERIFY(r.isNull(2));
    COMPARE_VALUE(r.value(2), sqlNull);
    QVERIFY(r.value(2).isNull());

    r = row(sql, QVariantList{sqlNull});
    QCOMPARE(r.value(0), QVariant(true));

    r = row(sql, QVariantList{u""_s});
    QCOMPARE(r.value(0), QVariant(false));
    QCOMPARE(r.value(1), QVariant(true));
    QVERIFY(!r.isNull(2));
    COMPARE_VALUE(r.value(2), QString(u""_s));
    QVERIFY(!r.value(2).isNull());

    // Qt 6's QVariant::isNull() is false for a null QString: it is sent as the empty string.
    r = row(sql, QVariantList{QString()});
    QCOMPARE(r.value(0), QVariant(false));

    // Invalid dates, times and date-times and null timestamps are NULL.
    for (const QVariant &v : {QVariant(QDate()), QVariant(QTime()), QVariant(QDateTime()),
                              QVariant::fromValue(QPg::Timestamp()), QVariant(QJsonValue(QJsonValue::Undefined))}) {
        QCOMPARE(value(u"SELECT $1::text IS NULL"_s, QVariantList{v}), QVariant(true));
    }
    // Empty bytea and JSON null are values.
    QCOMPARE(value(u"SELECT $1::bytea IS NULL"_s, QVariantList{QByteArray()}), QVariant(false));
    QCOMPARE(value(u"SELECT $1::jsonb IS NULL"_s, QVariantList{QJsonValue(QJsonValue::Null)}), QVariant(false));
    COMPARE_VALUE(value(u"SELECT NULL::jsonb"_s), sqlNull);
    COMPARE_VALUE(value(u"SELECT 'null'::jsonb"_s), QJsonValue(QJsonValue::Null));
}

// timestamptz output in sessions whose zones have odd offsets (half hours, local mean time with seconds).
void tst_Types::timestampOffsets_data()
{
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("literal");
    QTest::addColumn<QString>("printed");
    QTest::addColumn<QString>("utc");

    QTest::newRow("Berlin") << u"Europe/Berlin"_s << u"2024-07-01 12:00:00.25+00"_s
                            << u"2024-07-01 14:00:00.25+02"_s << u"2024-07-01 12:00:00.25+00"_s;
    QTest::newRow("St Johns") << u"America/St_Johns"_s << u"2024-01-01 00:00:00+00"_s
                              << u"2023-12-31 20:30:00-03:30"_s << u"2024-01-01 00:00:00+00"_s;
    QTest::newRow("Kathmandu") << u"Asia/Kathmandu"_s << u"2024-01-01 00:00:00.000001+00"_s
                               << u"2024-01-01 05:45:00.000001+05:45"_s << u"2024-01-01 00:00:00.000001+00"_s;
    QTest::newRow("Kolkata LMT") << u"Asia/Kolkata"_s << u"1850-01-01 00:00:00+05:53:28"_s
                                 << u"1850-01-01 00:00:00+05:53:28"_s << u"1849-12-31 18:06:32+00"_s;
    QTest::newRow("Honolulu BC") << u"Pacific/Honolulu"_s << u"0100-06-01 12:00:00+00 BC"_s
                                 << u"0100-06-01 01:28:34-10:31:26 BC"_s << u"0100-06-01 12:00:00+00 BC"_s;
}

void tst_Types::timestampOffsets()
{
    QFETCH(QString, zone);
    QFETCH(QString, literal);
    QFETCH(QString, printed);
    QFETCH(QString, utc);

    execute(u"SET TimeZone TO '"_s + zone + u"'"_s);
    const QPg::Record r = row(u"SELECT $1::timestamptz, $1::timestamptz::text"_s, QVariantList{literal});
    const QPg::Record sentBack = row(u"SELECT $1::timestamptz::text"_s, QVariantList{r.value(0)});
    execute(u"SET TimeZone TO 'UTC'"_s);

    QCOMPARE(r.value(1).toString(), printed);
    COMPARE_VALUE(r.value(0), timestamp(utc));
    QCOMPARE(r.value(0).value<QPg::Timestamp>().toPostgresText(), utc);
    QCOMPARE(sentBack.value(0).toString(), printed);
}

void tst_Types::timestampConversions()
{
    const QVariant v = value(u"SELECT '2024-02-29 23:59:59.123456+00'::timestamptz"_s);
    QCOMPARE(v.metaType(), QMetaType::fromType<QPg::Timestamp>());
    const auto t = v.value<QPg::Timestamp>();
    QVERIFY(t.isFinite());
    QVERIFY(t.hasTimeZone());
    QCOMPARE(t.microsecond(), 123456);
    QCOMPARE(t.microsecondsSinceEpoch(), Q_INT64_C(1709251199123456));
    const QDateTime expected(QDate(2024, 2, 29), QTime(23, 59, 59, 123), Qt::UTC);
    QCOMPARE(t.toDateTime(), expected);
    QVERIFY(v.canConvert<QDateTime>());
    QCOMPARE(v.toDateTime(), expected);
    QCOMPARE(v.toString(), u"2024-02-29 23:59:59.123456+00"_s);

    const QVariant naive = value(u"SELECT '2024-02-29 23:59:59.5'::timestamp"_s);
    QVERIFY(!naive.value<QPg::Timestamp>().hasTimeZone());
    QCOMPARE(naive.toDateTime(), QDateTime(QDate(2024, 2, 29), QTime(23, 59, 59, 500), Qt::UTC));
    QCOMPARE(naive.toString(), u"2024-02-29 23:59:59.5"_s);

    const QVariant inf = value(u"SELECT 'infinity'::timestamptz"_s);
    QVERIFY(inf.value<QPg::Timestamp>().isInfinite());
    QVERIFY(!inf.toDateTime().isValid());
    QCOMPARE(inf.toString(), u"infinity"_s);

    // A local QDateTime is sent as the instant it denotes.
    const QDateTime local = QDateTime::currentDateTime();
    const QVariant back = value(u"SELECT $1::timestamptz"_s, QVariantList{local});
    QCOMPARE(back.toDateTime(), local.toUTC());
    QCOMPARE(back.toDateTime().toMSecsSinceEpoch(), local.toMSecsSinceEpoch());
}

// JSON parameters are typed jsonb; assignment casts take them into json and text columns too.
void tst_Types::jsonParameters()
{
    execute(u"CREATE TEMP TABLE json_target (j json, jb jsonb, t text)"_s);
    const QJsonObject object{{u"key"_s, u"välue"_s}, {u"n"_s, QJsonArray{1, 2}}};
    const QVariantList args{object, QJsonArray{object}, QJsonValue(u"scalar"_s)};
    QCOMPARE(execute(u"INSERT INTO json_target VALUES ($1, $2, $3)"_s, args), u"INSERT 0 1"_s);

    const QPg::Record r = row(u"SELECT j, jb, t, json_typeof(j), jsonb_typeof(jb) FROM json_target"_s);
    COMPARE_VALUE(r.value(0), QJsonValue(object));
    COMPARE_VALUE(r.value(1), QJsonValue(QJsonArray{object}));
    COMPARE_VALUE(r.value(2), u"\"scalar\""_s);
    QCOMPARE(r.value(3), QVariant(u"object"_s));
    QCOMPARE(r.value(4), QVariant(u"array"_s));
    QCOMPARE(r.columnTypeName(0), u"json"_s);
    QCOMPARE(r.columnTypeName(1), u"jsonb"_s);

    // Without a cast the parameter's type decides the result type.
    QCOMPARE(row(u"SELECT $1"_s, QVariantList{object}).columnTypeName(0), u"jsonb"_s);
    QCOMPARE(value(u"SELECT $1->>'key'"_s, QVariantList{object}), QVariant(u"välue"_s));
    QCOMPARE(value(u"SELECT $1 @> '{\"n\": [2]}'"_s, QVariantList{object}), QVariant(true));
}

void tst_Types::arrayParameters()
{
    execute(u"CREATE TEMP TABLE array_target (id int8, u uuid, tags text[], grid int4[])"_s);
    const QUuid uuid = QUuid::createUuid();
    execute(u"INSERT INTO array_target VALUES (1, $1, $2, $3), (2, NULL, '{}', NULL)"_s,
            QVariantList{uuid, QStringList{u"a"_s, u"b,c"_s}, QVariantList{QVariantList{1, 2}, QVariantList{3, 4}}});

    // String lists are sent untyped, like strings: the server types them from the context.
    QCOMPARE(value(u"SELECT id FROM array_target WHERE u = ANY($1)"_s,
                   QVariantList{QVariant(QStringList{uuid.toString(QUuid::WithoutBraces)})}),
             QVariant(qlonglong(1)));
    QCOMPARE(value(u"SELECT count(*) FROM array_target WHERE id = ANY($1)"_s, QVariantList{QVariant(QVariantList{1, 2})}),
             QVariant(qlonglong(2)));
    // An empty list, too, fits any array type.
    QCOMPARE(value(u"SELECT count(*) FROM array_target WHERE id = ANY($1)"_s, QVariantList{QVariant(QVariantList{})}),
             QVariant(qlonglong(0)));
    QCOMPARE(value(u"SELECT count(*) FROM array_target WHERE tags && $1"_s, QVariantList{QVariant(QStringList{u"b,c"_s})}),
             QVariant(qlonglong(1)));
    QCOMPARE(value(u"SELECT count(*) FROM array_target WHERE tags = $1"_s, QVariantList{QVariant(QStringList{})}),
             QVariant(qlonglong(1)));

    COMPARE_VALUE(value(u"SELECT tags FROM array_target WHERE id = 1"_s), QVariantList({u"a"_s, u"b,c"_s}));
    COMPARE_VALUE(value(u"SELECT grid FROM array_target WHERE id = 1"_s),
                  QVariantList({QVariantList{1, 2}, QVariantList{3, 4}}));
    COMPARE_VALUE(value(u"SELECT grid[2][1] FROM array_target WHERE id = 1"_s), 3);

    // Typed lists work with polymorphic functions.
    const QPg::RecordList numbers = rows(u"SELECT unnest($1) AS n"_s, QVariantList{QVariant(QVariantList{7, 8})});
    QCOMPARE(numbers.size(), 2);
    QCOMPARE(numbers.at(1).value(u"n"), QVariant(8));
    QCOMPARE(value(u"SELECT array_length($1, 1)"_s, QVariantList{QVariant(QVariantList{1.5, 2.5, 3.5})}), QVariant(3));
    // Untyped string lists need a cast where the function is polymorphic.
    QCOMPARE(value(u"SELECT array_length($1::text[], 1)"_s, QVariantList{QVariant(QStringList{u"x"_s})}), QVariant(1));
}

void tst_Types::enumsAndUnknownTypes()
{
    execute(u"CREATE TYPE pg_temp.mood AS ENUM ('sad', 'happy')"_s);
    execute(u"CREATE TEMP TABLE mood_target (m pg_temp.mood)"_s);
    // Strings go untyped, so they fit enums (and other types) without a cast.
    execute(u"INSERT INTO mood_target VALUES ($1)"_s, QVariantList{u"happy"_s});
    const QPg::Record r = row(u"SELECT m, ARRAY[m, NULL] FROM mood_target WHERE m = $1"_s, QVariantList{u"happy"_s});
    QVERIFY(r.isValid());
    QCOMPARE(r.value(0), QVariant(u"happy"_s));
    // Types the library does not know come back as text; their type name is the OID.
    QCOMPARE(r.value(1), QVariant(u"{happy,NULL}"_s));
    bool isNumber = false;
    QCOMPARE(r.columnTypeName(0).toUInt(&isNumber), r.columnTypeOid(0));
    QVERIFY(isNumber);
}

void tst_Types::unsupportedParameterType()
{
    const QVariantList point{QVariant::fromValue(QPointF(1, 2))};
    const auto error = awaitError<QPg::InterfaceError>(m_con->fetchValue(u"SELECT $1"_s, point));
    QVERIFY(error.has_value());
    QVERIFY2(error->message().contains(u"QPointF"_s), qPrintable(error->message()));

    const QVariantList nestedPoint{QVariant(QVariantList{1, QVariant::fromValue(QPointF(1, 2))})};
    const auto nested = awaitError<QPg::InterfaceError>(m_con->fetchValue(u"SELECT $1"_s, nestedPoint));
    QVERIFY(nested.has_value());

    // The connection is still usable.
    QCOMPARE(value(u"SELECT 1"_s), QVariant(1));
}

void tst_Types::typeNames()
{
    const QPg::Record r = row(u"SELECT true, '\\x00'::bytea, 'a'::\"char\", 'n'::name, 1::int8, 1::int2, 1::int4, "
                              "'t'::text, 1::oid, '{}'::json, 1::float4, 1::float8, 'b'::bpchar, 'v'::varchar, "
                              "current_date, localtime, localtimestamp, now(), '1 day'::interval, current_time, "
                              "1::numeric, gen_random_uuid(), '{}'::jsonb, '::1'::inet, '::1'::cidr, "
                              "ARRAY[1], ARRAY['a'], ARRAY[1::int8], ARRAY[now()], ARRAY['{}'::jsonb], "
                              "point(0, 0), NULL"_s);
    const QStringList expected{u"bool"_s,   u"bytea"_s,  u"char"_s,        u"name"_s,        u"int8"_s,
                               u"int2"_s,   u"int4"_s,   u"text"_s,        u"oid"_s,         u"json"_s,
                               u"float4"_s, u"float8"_s, u"bpchar"_s,      u"varchar"_s,     u"date"_s,
                               u"time"_s,   u"timestamp"_s, u"timestamptz"_s, u"interval"_s, u"timetz"_s,
                               u"numeric"_s, u"uuid"_s,  u"jsonb"_s,       u"inet"_s,        u"cidr"_s,
                               u"int4[]"_s, u"text[]"_s, u"int8[]"_s,      u"timestamptz[]"_s, u"jsonb[]"_s,
                               u"point"_s,  u"text"_s};
    QCOMPARE(r.size(), expected.size());
    QStringList actual;
    for (int c = 0; c < r.size(); ++c)
        actual.append(r.columnTypeName(c));
    QCOMPARE(actual, expected);
    QCOMPARE(r.columnTypeOid(0), 16u);
    QCOMPARE(r.columnTypeOid(25), 1007u);
    // Each value decodes to the documented Qt type.
    const QList<QMetaType> types{
        QMetaType::fromType<bool>(),      QMetaType::fromType<QByteArray>(), QMetaType::fromType<QString>(),
        QMetaType::fromType<QString>(),   QMetaType::fromType<qlonglong>(),  QMetaType::fromType<int>(),
        QMetaType::fromType<int>(),       QMetaType::fromType<QString>(),    QMetaType::fromType<uint>(),
        QMetaType::fromType<QJsonValue>(), QMetaType::fromType<double>(),    QMetaType::fromType<double>(),
        QMetaType::fromType<QString>(),   QMetaType::fromType<QString>(),    QMetaType::fromType<QDate>(),
        QMetaType::fromType<QTime>(),     QMetaType::fromType<QPg::Timestamp>(), QMetaType::fromType<QPg::Timestamp>(),
        QMetaType::fromType<QString>(),   QMetaType::fromType<QString>(),    QMetaType::fromType<QString>(),
        QMetaType::fromType<QUuid>(),     QMetaType::fromType<QJsonValue>(), QMetaType::fromType<QString>(),
        QMetaType::fromType<QString>(),   QMetaType::fromType<QVariantList>(), QMetaType::fromType<QVariantList>(),
        QMetaType::fromType<QVariantList>(), QMetaType::fromType<QVariantList>(), QMetaType::fromType<QVariantList>(),
        QMetaType::fromType<QString>(),   QMetaType::fromType<std::nullptr_t>()};
    QCOMPARE(types.size(), expected.size());
    for (int c = 0; c < r.size(); ++c)
        QVERIFY2(r.value(c).metaType() == types.at(c), qPrintable(expected.at(c)));
}

void tst_Types::recordAccess()
{
    const QPg::Record r = row(u"SELECT 1::int4 AS a, 'x'::text AS b, NULL::int8 AS c, ARRAY[1, 2] AS d, "
                              "'{\"k\": [1]}'::jsonb AS e, '\\x01ff'::bytea AS f, "
                              "'2024-01-01 00:00:00.5+00'::timestamptz AS g, 9007199254740993::int8 AS h, "
                              "2 AS a"_s);
    QVERIFY(r.isValid());
    QCOMPARE(r.size(), 9);
    QCOMPARE(r.columnNames(),
             QStringList({u"a"_s, u"b"_s, u"c"_s, u"d"_s, u"e"_s, u"f"_s, u"g"_s, u"h"_s, u"a"_s}));
    QCOMPARE(r.columnName(1), u"b"_s);
    QCOMPARE(r.indexOf(u"b"), 1);
    QCOMPARE(r.indexOf(u"a"), 0); // the first column of a name wins
    QCOMPARE(r.indexOf(u"zz"), -1);
    QVERIFY(r.contains(u"h"));
    QVERIFY(!r.contains(u"B"));
    QCOMPARE(r.value(u"a"), QVariant(1));
    QCOMPARE(r[u"b"], QVariant(u"x"_s));
    QCOMPARE(r[1], QVariant(u"x"_s));
    QCOMPARE(r.value(8), QVariant(2));
    QVERIFY(!r.value(u"zz").isValid());
    QVERIFY(!r.value(42).isValid());
    QVERIFY(r.isNull(2));
    QVERIFY(!r.isNull(0));
    COMPARE_VALUE(r.value(u"c"), sqlNull);
    QCOMPARE(r.columnTypeName(3), u"int4[]"_s);
    QCOMPARE(r.columnTypeOid(3), 1007u);
    QCOMPARE(r.values().size(), 9);
    COMPARE_VALUE(r.values().at(3), QVariantList({1, 2}));

    const QVariantMap map = r.toVariantMap();
    QCOMPARE(map.size(), 8);
    QCOMPARE(map.value(u"a"_s), QVariant(1));
    COMPARE_VALUE(map.value(u"c"_s), sqlNull);
    COMPARE_VALUE(map.value(u"d"_s), QVariantList({1, 2}));
    QCOMPARE(map.value(u"f"_s), QVariant(QByteArray("\x01\xff")));

    const QJsonObject json = r.toJsonObject();
    QCOMPARE(json.size(), 8);
    QCOMPARE(json.value(u"a"), QJsonValue(1));
    QCOMPARE(json.value(u"b"), QJsonValue(u"x"_s));
    QCOMPARE(json.value(u"c"), QJsonValue(QJsonValue::Null));
    QCOMPARE(json.value(u"d"), QJsonValue(QJsonArray{1, 2}));
    QCOMPARE(json.value(u"e"), QJsonValue(QJsonObject{{u"k"_s, QJsonArray{1}}}));
    QCOMPARE(json.value(u"f"), QJsonValue(u"Af8="_s)); // base64
    QCOMPARE(json.value(u"g"), QJsonValue(u"2024-01-01 00:00:00.5+00"_s));
    QCOMPARE(json.value(u"h"), QJsonValue(u"9007199254740993"_s)); // beyond a double's integers: text

    // Records outlive the query and share its result.
    const QPg::Record copy = r;
    QCOMPARE(copy.value(u"b"), QVariant(u"x"_s));
    QVERIFY(!await(m_con->fetchRow(u"SELECT 1 WHERE false"_s)).isValid());
    QVERIFY(!value(u"SELECT 1 WHERE false"_s).isValid());
}

QTEST_MAIN(tst_Types)
#include "tst_types.moc"
