// SPDX-License-Identifier: MIT
// The binary codec against the test run's server, through libpq directly (blocking calls):
// - agreement: a value fetched in binary format decodes to exactly what decodeText() gives for the
//   same value fetched in text format;
// - round trip: encodeBinary() of a value, sent as a binary parameter of that type, reads back on the
//   server as PostgreSQL's own text for the value;
// - values a type cannot hold, and malformed binary input, give errors.
#include "binarycodec_p.h"
#include "pgtypes_p.h"
#include "textcodec_p.h"

#include <QPg/timestamp.h>

#include "samevalue.h"
#include "testserver.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QUuid>
#include <QtTest/QTest>

#include <libpq-fe.h>

#include <cmath>
#include <limits>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace QPg::Private;

using QPgTest::sameValue;

namespace {

const QVariant sqlNull = QVariant::fromValue(nullptr);

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

QString show(const QVariant &value)
{
    if (value.metaType() == QMetaType::fromType<QPg::Timestamp>())
        return u"Timestamp("_s + value.value<QPg::Timestamp>().toPostgresText() + u')';
    return QDebug::toString(value);
}

} // namespace

class tst_BinaryCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void agreement_data();
    void agreement();
    void agreementBulk_data();
    void agreementBulk();
    void encodeRoundTrip_data();
    void encodeRoundTrip();
    void encodeErrors_data();
    void encodeErrors();
    void nullAndEmpty();
    void malformedInput_data();
    void malformedInput();
    void typeCoverage();

private:
    ResultPtr exec(const QString &sql, int resultFormat, const QList<quint32> &types = {},
                   const QList<QByteArray> &values = {});
    quint32 typeOid(const QString &type);
    // Checks that every value of `sql`'s single column agrees between the formats and, when
    // checkEncode, that each decoded value encodes back to the server's text of the original value.
    // Returns the number of values checked (or -1 after a failure, reported through QTest).
    int checkAgreement(const QString &sql, bool checkEncode);

    PGconn *m_conn = nullptr;
    int m_checked = 0;
};

ResultPtr tst_BinaryCodec::exec(const QString &sql, int resultFormat, const QList<quint32> &types,
                                const QList<QByteArray> &values)
{
    QList<const char *> pointers;
    QList<int> lengths;
    QList<int> formats;
    for (const QByteArray &v : values) {
        pointers.append(v.isNull() ? nullptr : v.constData());
        lengths.append(int(v.size()));
        formats.append(1);
    }
    const QByteArray query = sql.toUtf8();
    return ResultPtr(PQexecParams(m_conn, query.constData(), int(values.size()),
                                  reinterpret_cast<const ::Oid *>(types.constData()), pointers.constData(),
                                  lengths.constData(), formats.constData(), resultFormat),
                     &PQclear);
}

quint32 tst_BinaryCodec::typeOid(const QString &type)
{
    const ResultPtr r = exec(u"SELECT '"_s + type + u"'::regtype::oid"_s, 0);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
        return 0;
    return QByteArray(PQgetvalue(r.get(), 0, 0)).toUInt();
}

void tst_BinaryCodec::initTestCase()
{
    m_conn = PQconnectdb(QPgTest::dsn().toUtf8().constData());
    QVERIFY2(PQstatus(m_conn) == CONNECTION_OK, PQerrorMessage(m_conn));
    // The session settings QPgPool's connections use, plus UTC and the default interval style: the
    // text format's output depends on them.
    for (const char *setting : {"SET DateStyle = 'ISO, YMD'", "SET extra_float_digits = 3", "SET TimeZone = 'UTC'",
                                "SET IntervalStyle = 'postgres'", "SET client_encoding = 'UTF8'",
                                "SET standard_conforming_strings = on"}) {
        const ResultPtr set(PQexec(m_conn, setting), &PQclear);
        QVERIFY2(PQresultStatus(set.get()) == PGRES_COMMAND_OK, PQerrorMessage(m_conn));
    }
}

void tst_BinaryCodec::cleanupTestCase()
{
    if (m_conn)
        PQfinish(m_conn);
    m_conn = nullptr;
    qInfo("%d values checked in both formats", m_checked);
}

int tst_BinaryCodec::checkAgreement(const QString &sql, bool checkEncode)
{
    const ResultPtr binary = exec(sql, 1);
    const ResultPtr text = exec(sql, 0);
    if (PQresultStatus(binary.get()) != PGRES_TUPLES_OK || PQresultStatus(text.get()) != PGRES_TUPLES_OK) {
        QTest::qFail(qPrintable(sql + u": "_s + QString::fromUtf8(PQerrorMessage(m_conn))), __FILE__, __LINE__);
        return -1;
    }
    const quint32 oid = PQftype(binary.get(), 0);
    if (!hasBinaryDecoder(oid)) {
        QTest::qFail(qPrintable(u"no binary decoder for type %1 of %2"_s.arg(oid).arg(sql)), __FILE__, __LINE__);
        return -1;
    }
    const int rows = PQntuples(binary.get());
    if (rows != PQntuples(text.get()))
        return -1;
    int checked = 0;
    for (int row = 0; row < rows; ++row) {
        if (PQgetisnull(binary.get(), row, 0))
            continue;
        const char *textValue = PQgetvalue(text.get(), row, 0);
        const QVariant expected = decodeText(oid, textValue, PQgetlength(text.get(), row, 0));
        QVariant actual;
        QString error;
        if (!decodeBinary(oid, PQgetvalue(binary.get(), row, 0), PQgetlength(binary.get(), row, 0), &actual, &error)) {
            QTest::qFail(qPrintable(u"decoding %1 (%2) failed: %3"_s.arg(QString::fromUtf8(textValue), typeName(oid), error)),
                         __FILE__, __LINE__);
            return -1;
        }
        if (!sameValue(actual, expected)) {
            QTest::qFail(qPrintable(u"formats disagree for %1 (%2)\n   binary: %3\n   text:   %4"_s.arg(
                                        QString::fromUtf8(textValue), typeName(oid), show(actual), show(expected))),
                         __FILE__, __LINE__);
            return -1;
        }
        ++checked;
        if (!checkEncode)
            continue;

        // The decoded value, encoded again and sent as a binary parameter, is the same value.
        QByteArray encoded;
        if (!encodeBinary(oid, actual, &encoded, &error)) {
            QTest::qFail(qPrintable(u"encoding %1 (%2) failed: %3"_s.arg(show(actual), typeName(oid), error)),
                         __FILE__, __LINE__);
            return -1;
        }
        const ResultPtr back = exec(u"SELECT $1"_s, 0, {oid}, {encoded});
        if (PQresultStatus(back.get()) != PGRES_TUPLES_OK) {
            QTest::qFail(qPrintable(u"server rejected encoded %1 (%2): %3"_s.arg(show(actual), typeName(oid),
                                                                                 QString::fromUtf8(PQerrorMessage(m_conn)))),
                         __FILE__, __LINE__);
            return -1;
        }
        const QString serverText = QString::fromUtf8(PQgetvalue(back.get(), 0, 0));
        if (serverText != QString::fromUtf8(textValue)) {
            QTest::qFail(qPrintable(u"round trip of %1 (%2) gave %3"_s.arg(QString::fromUtf8(textValue), typeName(oid),
                                                                           serverText)),
                         __FILE__, __LINE__);
            return -1;
        }
    }
    m_checked += checked;
    return checked;
}

// Single values: `expression` is selected in both formats. encodeBack: the decoded value also encodes
// back to the same server text (false where decoding loses something: QTime's milliseconds, json's
// spacing, array lower bounds).
void tst_BinaryCodec::agreement_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<bool>("encodeBack");
    const auto add = [](const QString &expression, bool encodeBack = true) {
        QTest::newRow(qPrintable(expression.left(70))) << expression << encodeBack;
    };

    for (const char *v : {"true", "false"})
        add(QString::fromLatin1(v) + u"::bool");
    for (const char *v : {"32767", "-32768", "0"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::int2");
    for (const char *v : {"2147483647", "-2147483648", "1"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::int4");
    for (const char *v : {"9223372036854775807", "-9223372036854775808", "-1"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::int8");
    for (const char *v : {"0", "4294967295", "1259"})
        add(QString::fromLatin1(v) + u"::oid");
    for (const char *v : {"0.1", "1.5", "3.4e38", "-3.4028235e38", "1e-45", "1.17549435e-38", "NaN", "Infinity",
                          "-Infinity", "-0", "16777217", "0.3", "123456.789", "-1.1995599e+09", "8388608.5", "1e10"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::float4");
    for (const char *v : {"0.1", "1e300", "5e-324", "NaN", "Infinity", "-Infinity", "-0", "0.30000000000000004",
                          "1.7976931348623157e308", "-2.2250738585072014e-308"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::float8");
    for (const char *v : {"0", "0.0001", "1e20", "1e-20", "123.4500", "-0.000001", "NaN", "Infinity", "-Infinity",
                          "0.00", "10000", "1e4", "9999", "99999999.99990000", "-12345678.12345678",
                          "18446744073709551616", "0.1e-1000", "1e1000", "-1.5e-3", "100000000.00000001", "-1.1995599e+09",
                          "1234567890123456789012345678901234567890.0123456789"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::numeric");
    add(u"repeat('9', 1000)::numeric"_s);
    add(u"('0.' || repeat('0', 500) || repeat('7', 500))::numeric"_s);
    add(u"(repeat('1', 500) || '.' || repeat('2', 500))::numeric"_s);
    add(u"-(repeat('1234', 250) || 'e-3')::numeric"_s);
    add(u"1::numeric / 3"_s);
    add(u"interval '-2562047788:00:54.775807' - interval '1 microsecond'"_s);
    add(u"make_interval(-2147483648 / 12 - 1, -8, 0, -2147483648)"_s);
    add(u"2::numeric ^ 200"_s);
    add(u"'0.000'::numeric(10,3)"_s);

    add(u"''::text"_s);
    add(u"'Zürich ✓ 日本 😀'::text"_s);
    add(u"E'tab\\there\\nnewline \"q\" \\\\ {a,b}'::text"_s);
    add(u"'v'::varchar"_s);
    add(u"'ab'::char(4)"_s);
    add(u"'pg_class'::name"_s);
    add(u"'a'::\"char\""_s);
    add(u"''::\"char\""_s);
    add(u"'\\300'::\"char\""_s);
    add(u"'\\001'::\"char\""_s);
    add(u"'unk'::unknown"_s);

    add(u"'\\x00ff00'::bytea"_s);
    add(u"''::bytea"_s);
    add(u"decode(repeat('00', 1000) || 'ff', 'hex')"_s);

    for (const char *v : {"2000-01-01", "1999-12-31", "2000-01-02", "1970-01-01", "0001-01-01", "0001-12-31 BC",
                          "0044-03-15 BC", "4714-11-24 BC", "5874897-12-31", "infinity", "-infinity", "2024-02-29",
                          "1600-02-29", "0005-02-29 BC", "0001-02-29 BC"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::date");
    for (const char *v : {"00:00", "23:59:59.999", "24:00:00", "12:34:56"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::time");
    for (const char *v : {"23:59:59.999999", "12:34:56.123456", "00:00:00.000001"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::time", false); // QTime keeps milliseconds
    for (const char *v : {"12:34:56.123456+02", "00:00:00-15:59", "24:00:00+00", "12:00:00+05:30", "01:02:03+01:02:03",
                          "12:00-00:00:01", "23:59:59.999999+15:59:59", "10:00:00.5-03"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::timetz");
    for (const char *v : {"2000-01-01 00:00:00", "1999-12-31 23:59:59.999999", "2000-01-01 00:00:00.000001",
                          "4714-11-24 00:00:00 BC", "294276-12-31 23:59:59.999999", "infinity", "-infinity",
                          "1970-01-01 00:00:00", "1969-12-31 23:59:59.999999", "0044-03-15 12:00:00.5 BC",
                          "2024-02-29 12:34:56.123456", "294246-01-01 00:00:00"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::timestamp");
    for (const char *v : {"2000-01-01 00:00:00+00", "1999-12-31 23:59:59.999999+00", "2000-01-01 00:00:00.000001+02",
                          "4714-11-24 00:00:00+00 BC", "294276-12-31 23:59:59.999999+00", "infinity", "-infinity",
                          "2024-05-01 12:34:56.789-05:30", "0001-01-01 00:00:00+00", "0001-12-31 23:59:59+00 BC"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::timestamptz");
    for (const char *v : {"1 year 2 mons 3 days 04:05:06.789", "-1 year -2 mons +3 days -04:05:06", "0", "1 day -1 sec",
                          "-1 day +1 sec", "2147483647 days", "-2147483648 days", "178956970 years 7 mons",
                          "-178956970 years -8 mons", "1 mon -1 day", "00:00:00.000001", "-00:00:00.000001",
                          "100000 hours", "1 year -1 mon", "-1 mons +1 days", "2562047788:00:54.775807",
                          "-2562047788:00:54.775807", "1 day", "1 mon", "1 year", "-1 year", "3 days 04:00:00",
                          "1 year 00:00:01", "-1 days -00:00:01", "1 mon 1 day 00:00:00.1", "@ 2 days ago"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::interval");
    for (const char *v : {"00000000-0000-0000-0000-000000000000", "67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0",
                          "ffffffff-ffff-ffff-ffff-ffffffffffff"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::uuid");
    add(u"'{\"a\": [1, 2.5, \"x\"], \"b\": null}'::json"_s, false);
    add(u"'  \"scalar\" '::json"_s, false); // json keeps its spacing; the decoded value does not
    add(u"'null'::json"_s);
    add(u"'[1, \"ü\", {\"k\": false}]'::jsonb"_s);
    add(u"'\"s\\\"q\"'::jsonb"_s);
    add(u"'42'::jsonb"_s);
    add(u"'{}'::jsonb"_s);
    for (const char *v : {"192.168.0.1", "192.168.0.1/24", "0.0.0.0/0", "255.255.255.255", "::1", "::", "::/0",
                          "2001:db8::1/64", "::ffff:1.2.3.4", "::1.2.3.4", "fe80::1:0:0:1", "1:0:0:1:0:0:0:1",
                          "1:2:3:4:5:6:7:8", "1::", "0:0:1::", "::2", "1:0:2::3", "::ffff:0:0/96", "::fffe:1.2.3.4",
                          "0:0:0:0:0:1:1.2.3.4"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::inet");
    for (const char *v : {"192.168.0.0/24", "10.0.0.0/8", "0.0.0.0/0", "10.1.2.3/32", "2001:db8::/32", "::/0",
                          "::ffff:0:0/96", "::1/128"})
        add(u"'"_s + QString::fromLatin1(v) + u"'::cidr");

    // Arrays.
    add(u"ARRAY[1, NULL, 3]"_s);
    add(u"'{}'::int4[]"_s);
    add(u"'{{1,2},{NULL,4}}'::int4[]"_s);
    add(u"'[0:1]={5,6}'::int4[]"_s, false);
    add(u"'[1:2][3:4]={{1,2},{3,4}}'::int4[]"_s, false);
    add(u"ARRAY[[[1],[2]],[[3],[4]]]"_s);
    add(u"'{{{{{{1,2}}}}}}'::int8[]"_s);
    add(u"ARRAY['a b', 'NULL', NULL, '', ' ', 'q\"uote', 'back\\slash', 'Zürich']"_s);
    add(u"'{{a,NULL},{NULL,\"\"}}'::text[]"_s);
    add(u"ARRAY[1.50, 'NaN', '-Infinity', 0.0001]::numeric[]"_s);
    add(u"ARRAY['2000-01-01', 'infinity', NULL, '0044-03-15 BC']::date[]"_s);
    add(u"ARRAY['24:00:00', '01:02:03.5']::time[]"_s);
    add(u"ARRAY['{\"a\": 1}', 'null', NULL]::jsonb[]"_s);
    add(u"ARRAY['{\"a\":1}']::json[]"_s, false);
    add(u"ARRAY['10.0.0.1/8', '::1']::inet[]"_s);
    add(u"ARRAY['10.0.0.0/8', NULL]::cidr[]"_s);
    add(u"ARRAY['67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0', NULL]::uuid[]"_s);
    add(u"ARRAY['\\x00'::bytea, '', NULL]"_s);
    add(u"ARRAY[true, NULL, false]"_s);
    add(u"ARRAY[0.1, 'NaN', '-0']::float4[]"_s);
    add(u"ARRAY[0.1, 'Infinity']::float8[]"_s);
    add(u"ARRAY['1 year -1 day', '-00:00:01']::interval[]"_s);
    add(u"ARRAY['12:00+02', '00:00-03:30']::timetz[]"_s);
    add(u"ARRAY['a', '\\300', '']::\"char\"[]"_s);
    add(u"ARRAY['pg_class']::name[]"_s);
    add(u"ARRAY['ab', NULL]::char(3)[]"_s);
    add(u"ARRAY['x', 'y z']::varchar[]"_s);
    add(u"ARRAY[1, 4294967295]::oid[]"_s);
    add(u"ARRAY[-9223372036854775808, 9223372036854775807]::int8[]"_s);
    add(u"ARRAY[-32768, 32767]::int2[]"_s);
    add(u"ARRAY['2000-01-01 00:00:00.000001', 'infinity']::timestamp[]"_s);
    add(u"ARRAY['2000-01-01 00:00:00.000001+00', '-infinity', NULL]::timestamptz[]"_s);
    add(u"ARRAY[]::jsonb[]"_s);
}

void tst_BinaryCodec::agreement()
{
    QFETCH(QString, expression);
    QFETCH(bool, encodeBack);
    QCOMPARE(checkAgreement(u"SELECT "_s + expression, encodeBack), 1);
}

// Many generated values per type (deterministic: setseed).
void tst_BinaryCodec::agreementBulk_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<int>("count");
    const auto add = [](const char *name, const QString &values, int count) {
        QTest::newRow(name) << values << count;
    };
    add("int8", u"(random() * 2^63 * sign(random() - 0.5))::int8 FROM generate_series(1, 500)"_s, 500);
    add("float4", u"((random() - 0.5) * 10 ^ (random() * 70 - 35))::float4 FROM generate_series(1, 2000)"_s, 2000);
    add("float4 all exponents", u"(sign(random() - 0.5) * (0.5 + random() / 2) * 2 ^ (random() * 250 - 148))::float4 "
                                "FROM generate_series(1, 3000)"_s,
        3000);
    add("float4 from 8 digits", u"(((random() * 1e8)::int8)::text || 'e' || (random() * 60 - 30)::int)::float4 "
                                "FROM generate_series(1, 3000)"_s,
        3000);
    add("float8", u"((random() - 0.5) * 10 ^ (random() * 600 - 300))::float8 FROM generate_series(1, 1000)"_s, 1000);
    add("numeric", u"round(((random() - 0.5) * 10 ^ (random() * 60 - 30))::numeric, (random() * 40)::int) "
                   "FROM generate_series(1, 1000)"_s,
        1000);
    add("numeric quotients", u"(g::numeric * 7919 - 5e6) / (1 + (random() * 10000)::int) FROM generate_series(1, 500) g"_s,
        500);
    add("date", u"date '2000-01-01' + ((random() - 0.5) * 4e6)::int FROM generate_series(1, 1000)"_s, 1000);
    add("timestamp", u"'epoch'::timestamp + ((random() - 0.5) * 2e17)::int8 * interval '1 microsecond' "
                     "FROM generate_series(1, 1000)"_s,
        1000);
    add("timestamptz", u"to_timestamp((random() - 0.5) * 2e11) FROM generate_series(1, 1000)"_s, 1000);
    add("time", u"make_time((random() * 23)::int, (random() * 59)::int, (random() * 59999)::int / 1000.0) "
                "FROM generate_series(1, 500)"_s,
        500);
    add("timetz", u"(make_time((random() * 23)::int, (random() * 59)::int, (random() * 59999999)::int / 1e6)::text "
                  "|| CASE WHEN random() < 0.5 THEN '+' ELSE '-' END || lpad(((random() * 15)::int)::text, 2, '0') "
                  "|| ':' || lpad(((random() * 59)::int * (random() < 0.5)::int)::text, 2, '0'))::timetz "
                  "FROM generate_series(1, 500)"_s,
        500);
    add("interval", u"make_interval((random() * 40 - 20)::int * (random() < 0.5)::int, "
                    "(random() * 40 - 20)::int * (random() < 0.5)::int, 0, "
                    "(random() * 80 - 40)::int * (random() < 0.5)::int, (random() * 100 - 50)::int * (random() < 0.5)::int, "
                    "(random() * 120 - 60)::int * (random() < 0.5)::int, "
                    "round(((random() - 0.5) * 200)::numeric, (random() * 6)::int)::float8 * (random() < 0.5)::int) "
                    "FROM generate_series(1, 1000)"_s,
        1000);
    add("inet6", u"(array_to_string(ARRAY(SELECT to_hex(CASE WHEN random() < 0.6 THEN 0 ELSE (random() * 65535)::int END) "
                 "FROM generate_series(1, 8) WHERE g > 0), ':') || '/' || (random() * 128)::int)::inet "
                 "FROM generate_series(1, 500) g"_s,
        500);
    add("inet4", u"(array_to_string(ARRAY(SELECT (random() * 255)::int FROM generate_series(1, 4) WHERE g > 0), '.') "
                 "|| '/' || (random() * 32)::int)::inet FROM generate_series(1, 500) g"_s,
        500);
    add("cidr", u"set_masklen(((array_to_string(ARRAY(SELECT to_hex(CASE WHEN random() < 0.5 THEN 0 ELSE "
                "(random() * 65535)::int END) FROM generate_series(1, 8) WHERE g > 0), ':'))::inet), "
                "(random() * 128)::int)::cidr FROM generate_series(1, 300) g"_s,
        300);
    add("uuid", u"gen_random_uuid() FROM generate_series(1, 200)"_s, 200);
    add("text", u"string_agg(chr(1 + (random() * 70000)::int % 55000), '') FROM generate_series(1, 2000) g "
                "GROUP BY g % 100"_s,
        100);
    add("int4 2-D arrays", u"ARRAY[[g, NULL], [g * 2, -g]] FROM generate_series(1, 100) g"_s, 100);
    add("numeric arrays", u"ARRAY(SELECT round((random() * 1e6)::numeric, 3) FROM generate_series(1, 5) WHERE g > 0) "
                          "FROM generate_series(1, 100) g"_s,
        100);
}

void tst_BinaryCodec::agreementBulk()
{
    QFETCH(QString, query);
    QFETCH(int, count);
    const ResultPtr seed = exec(u"SELECT setseed(0.42)"_s, 0);
    QCOMPARE(PQresultStatus(seed.get()), PGRES_TUPLES_OK);
    // The same random values in both formats: a temporary table holds them.
    const ResultPtr create = exec(u"CREATE TEMP TABLE bulk AS SELECT "_s + query, 0);
    QVERIFY2(PQresultStatus(create.get()) == PGRES_COMMAND_OK, PQerrorMessage(m_conn));
    const int checked = checkAgreement(u"SELECT * FROM bulk"_s, true);
    const ResultPtr drop = exec(u"DROP TABLE bulk"_s, 0);
    QCOMPARE(checked, count);
}

// Qt values encoded for a type, sent as binary parameters: the server's text of ($1::type)::text.
void tst_BinaryCodec::encodeRoundTrip_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QVariant>("input");
    QTest::addColumn<QString>("text");
    const auto add = [](const char *name, const QString &type, const QVariant &input, const QString &text) {
        QTest::newRow(name) << type << input << text;
    };
    constexpr double inf = std::numeric_limits<double>::infinity();
    const auto ts = [](const char *text, bool withTimeZone = true) {
        return QVariant::fromValue(QPg::Timestamp::fromPostgresText(QString::fromLatin1(text), withTimeZone));
    };

    add("bool", u"bool"_s, true, u"t"_s);
    add("bool from text", u"bool"_s, u"off"_s, u"f"_s);
    add("int2 from int", u"int2"_s, -32768, u"-32768"_s);
    add("int2 from double", u"int2"_s, 12.0, u"12"_s);
    add("int4 from text", u"int4"_s, u" +42 "_s, u"42"_s);
    add("int8 from int", u"int8"_s, 7, u"7"_s);
    add("int8 max", u"int8"_s, std::numeric_limits<qlonglong>::max(), u"9223372036854775807"_s);
    add("int8 min from text", u"int8"_s, u"-9223372036854775808"_s, u"-9223372036854775808"_s);
    add("oid max", u"oid"_s, 4294967295u, u"4294967295"_s);
    add("float4 from double 0.1", u"float4"_s, 0.1, u"0.1"_s);
    add("float4 rounds", u"float4"_s, 16777217.0, u"1.6777216e+07"_s);
    add("float4 from text", u"float4"_s, u"3.4028235e38"_s, u"3.4028235e+38"_s);
    add("float4 NaN", u"float4"_s, std::nan(""), u"NaN"_s);
    add("float4 -inf", u"float4"_s, -inf, u"-Infinity"_s);
    add("float8", u"float8"_s, 0.1 + 0.2, u"0.30000000000000004"_s);
    add("float8 denormal", u"float8"_s, 5e-324, u"5e-324"_s);
    add("float8 -0", u"float8"_s, -0.0, u"-0"_s);
    add("float8 from int8", u"float8"_s, qlonglong(9007199254740993), u"9.007199254740992e+15"_s);
    add("float8 from text", u"float8"_s, u"-Infinity"_s, u"-Infinity"_s);
    add("numeric from text", u"numeric"_s, u" 12.50 "_s, u"12.50"_s);
    add("numeric 1e20", u"numeric"_s, u"1e20"_s, u"100000000000000000000"_s);
    add("numeric 0.0001", u"numeric"_s, u"0.0001"_s, u"0.0001"_s);
    add("numeric 1.5e-3", u"numeric"_s, u"1.5E-3"_s, u"0.0015"_s);
    add("numeric -0", u"numeric"_s, u"-0.00"_s, u"0.00"_s);
    add("numeric leading zeros", u"numeric"_s, u"000123.000"_s, u"123.000"_s);
    add("numeric .5", u"numeric"_s, u".5"_s, u"0.5"_s);
    add("numeric 5.", u"numeric"_s, u"5."_s, u"5"_s);
    add("numeric NaN", u"numeric"_s, u"nan"_s, u"NaN"_s);
    add("numeric -Infinity", u"numeric"_s, u"-Infinity"_s, u"-Infinity"_s);
    add("numeric from double", u"numeric"_s, 0.1, u"0.1"_s);
    add("numeric from double inf", u"numeric"_s, inf, u"Infinity"_s);
    add("numeric from qulonglong", u"numeric"_s, std::numeric_limits<qulonglong>::max(), u"18446744073709551615"_s);
    add("numeric from int8 min", u"numeric"_s, std::numeric_limits<qlonglong>::min(), u"-9223372036854775808"_s);
    const QString digits1000 = QString(999, u'9') + u'8';
    add("numeric 1000 digits", u"numeric"_s, digits1000, digits1000);
    const QString fraction = u"0."_s + QString(600, u'0') + u"1234";
    add("numeric small", u"numeric"_s, fraction, fraction);
    add("text", u"text"_s, u"Zürich ✓ 日本 😀"_s, u"Zürich ✓ 日本 😀"_s);
    add("text from bytes", u"text"_s, QByteArray("utf-8 \xc3\xbc"), u"utf-8 ü"_s);
    add("text from int", u"text"_s, 42, u"42"_s);
    add("text empty", u"text"_s, u""_s, u""_s);
    add("varchar", u"varchar"_s, u"v"_s, u"v"_s);
    add("bpchar", u"bpchar"_s, u"ab  "_s, u"ab  "_s);
    add("name", u"name"_s, u"pg_class"_s, u"pg_class"_s);
    add("char", u"\"char\""_s, u"x"_s, u"x"_s);
    add("char octal", u"\"char\""_s, u"\\377"_s, u"\\377"_s);
    add("char empty", u"\"char\""_s, u""_s, u""_s);
    add("bytea", u"bytea"_s, QByteArray("\0a\0\xff", 4), u"\\x006100ff"_s);
    add("bytea empty", u"bytea"_s, QByteArray(""), u"\\x"_s);
    add("bytea from hex text", u"bytea"_s, u"\\x00FF"_s, u"\\x00ff"_s);
    add("date", u"date"_s, QDate(2000, 1, 1), u"2000-01-01"_s);
    add("date before 2000", u"date"_s, QDate(1999, 12, 31), u"1999-12-31"_s);
    add("date 1 BC", u"date"_s, QDate(-1, 12, 31), u"0001-12-31 BC"_s);
    add("date min", u"date"_s, QDate(-4714, 11, 24), u"4714-11-24 BC"_s);
    add("date max", u"date"_s, QDate(5874897, 12, 31), u"5874897-12-31"_s);
    add("date infinity", u"date"_s, u"infinity"_s, u"infinity"_s);
    add("date from text", u"date"_s, u"0044-03-15 BC"_s, u"0044-03-15 BC"_s);
    add("time", u"time"_s, QTime(23, 59, 59, 999), u"23:59:59.999"_s);
    add("time from text us", u"time"_s, u"12:34:56.123456"_s, u"12:34:56.123456"_s);
    add("time 24:00", u"time"_s, u"24:00:00"_s, u"24:00:00"_s);
    add("timetz", u"timetz"_s, u"12:34:56.123456+02"_s, u"12:34:56.123456+02"_s);
    add("timetz seconds offset", u"timetz"_s, u"01:02:03-01:02:03"_s, u"01:02:03-01:02:03"_s);
    add("timetz Z", u"timetz"_s, u"10:00Z"_s, u"10:00:00+00"_s);
    add("timestamptz us", u"timestamptz"_s, ts("2024-02-29 23:59:59.123456+00"), u"2024-02-29 23:59:59.123456+00"_s);
    add("timestamptz epoch", u"timestamptz"_s, ts("2000-01-01 00:00:00+00"), u"2000-01-01 00:00:00+00"_s);
    add("timestamptz BC", u"timestamptz"_s, ts("0044-03-15 12:00:00.5+00 BC"), u"0044-03-15 12:00:00.5+00 BC"_s);
    add("timestamptz min", u"timestamptz"_s, ts("4714-11-24 00:00:00+00 BC"), u"4714-11-24 00:00:00+00 BC"_s);
    add("timestamptz infinity", u"timestamptz"_s, QVariant::fromValue(QPg::Timestamp::infinity()), u"infinity"_s);
    add("timestamptz -infinity", u"timestamptz"_s, QVariant::fromValue(QPg::Timestamp::minusInfinity()),
        u"-infinity"_s);
    add("timestamptz from QDateTime", u"timestamptz"_s,
        QDateTime(QDate(2024, 5, 1), QTime(12, 34, 56, 789), Qt::OffsetFromUTC, 2 * 3600),
        u"2024-05-01 10:34:56.789+00"_s);
    add("timestamptz from text", u"timestamptz"_s, u"2024-05-01 12:00:00-05:30"_s, u"2024-05-01 17:30:00+00"_s);
    add("timestamp", u"timestamp"_s, ts("1999-12-31 23:59:59.999999", false), u"1999-12-31 23:59:59.999999"_s);
    add("timestamp from QDateTime wall clock", u"timestamp"_s,
        QDateTime(QDate(2024, 5, 1), QTime(12, 34, 56, 789), Qt::OffsetFromUTC, 2 * 3600),
        u"2024-05-01 12:34:56.789"_s);
    add("timestamp from QDate", u"timestamp"_s, QDate(2024, 5, 1), u"2024-05-01 00:00:00"_s);
    add("timestamp from text", u"timestamp"_s, u"2024-02-29 23:59:59.123456"_s, u"2024-02-29 23:59:59.123456"_s);
    add("interval", u"interval"_s, u"1 year 2 mons 3 days 04:05:06.789"_s, u"1 year 2 mons 3 days 04:05:06.789"_s);
    add("interval negative", u"interval"_s, u"-1 year -2 mons +3 days -04:05:06"_s, u"-1 years -2 mons +3 days -04:05:06"_s);
    add("interval verbose", u"interval"_s, u"@ 1 hour 30 mins 1.5 secs ago"_s, u"-01:30:01.5"_s);
    add("interval weeks ms", u"interval"_s, u"2 weeks 250 ms"_s, u"14 days 00:00:00.25"_s);
    add("interval big hours", u"interval"_s, u"100000:00:01"_s, u"100000:00:01"_s);
    const QUuid uuid(u"67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0"_s);
    add("uuid", u"uuid"_s, uuid, u"67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0"_s);
    add("uuid from text", u"uuid"_s, u"{67C8770B-44F1-410A-AB9A-B2D0D4C9CDD0}"_s, u"67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0"_s);
    add("uuid nil", u"uuid"_s, QUuid(), u"00000000-0000-0000-0000-000000000000"_s);
    const QJsonObject object{{u"a"_s, 1}, {u"b"_s, QJsonArray{true, QJsonValue(), u"x"_s}}};
    add("jsonb object", u"jsonb"_s, object, uR"({"a": 1, "b": [true, null, "x"]})"_s);
    add("json object", u"json"_s, object, uR"({"a":1,"b":[true,null,"x"]})"_s);
    add("jsonb from text", u"jsonb"_s, uR"({"z":[1,{"y":null}]})"_s, uR"({"z": [1, {"y": null}]})"_s);
    add("jsonb scalar", u"jsonb"_s, QJsonValue(u"s\"q"_s), uR"("s\"q")"_s);
    add("jsonb number", u"jsonb"_s, 42, u"42"_s);
    add("jsonb from QVariantMap", u"jsonb"_s, QVariantMap{{u"k"_s, u"v"_s}}, uR"({"k": "v"})"_s);
    add("jsonb document", u"jsonb"_s, QJsonDocument(QJsonArray{1}), u"[1]"_s);
    add("inet", u"inet"_s, u"10.0.0.1"_s, u"10.0.0.1"_s);
    add("inet mask", u"inet"_s, u"192.168.0.1/24"_s, u"192.168.0.1/24"_s);
    add("inet6", u"inet"_s, u"2001:0DB8:0:0:0:0:0:1/64"_s, u"2001:db8::1/64"_s);
    add("inet6 mapped", u"inet"_s, u"::ffff:1.2.3.4"_s, u"::ffff:1.2.3.4"_s);
    add("cidr", u"cidr"_s, u"192.168.0.0/24"_s, u"192.168.0.0/24"_s);
    add("cidr host", u"cidr"_s, u"10.1.2.3"_s, u"10.1.2.3/32"_s);
    add("cidr6", u"cidr"_s, u"2001:db8::/32"_s, u"2001:db8::/32"_s);

    add("int4[] with NULL", u"int4[]"_s, QVariantList{1, QVariant(), 3}, u"{1,NULL,3}"_s);
    add("int4[] from QList<int>", u"int4[]"_s, QVariant::fromValue(QList<int>{4, 5}), u"{4,5}"_s);
    add("int4[] empty", u"int4[]"_s, QVariantList{}, u"{}"_s);
    add("int4[] empty nested", u"int4[]"_s, QVariantList{QVariantList{}}, u"{}"_s);
    add("int4[][] with NULLs", u"int4[]"_s, QVariantList{QVariantList{1, 2}, QVariantList{sqlNull, QVariant()}},
        u"{{1,2},{NULL,NULL}}"_s);
    add("int8[] 3-D", u"int8[]"_s,
        QVariantList{QVariantList{QVariantList{1}, QVariantList{2}}, QVariantList{QVariantList{3}, QVariantList{4}}},
        u"{{{1},{2}},{{3},{4}}}"_s);
    add("text[] from QStringList", u"text[]"_s, QStringList{u"a b"_s, u"NULL"_s, u""_s, u"q\"uote"_s},
        uR"({"a b","NULL","","q\"uote"})"_s);
    add("numeric[] mixed", u"numeric[]"_s, QVariantList{1, 2.5, u"1e3"_s, u"NaN"_s}, u"{1,2.5,1000,NaN}"_s);
    add("float8[]", u"float8[]"_s, QVariantList{0.5, std::nan(""), -inf}, u"{0.5,NaN,-Infinity}"_s);
    add("date[]", u"date[]"_s, QVariantList{QDate(2024, 1, 31), QDate(-44, 3, 15), u"-infinity"_s},
        uR"({2024-01-31,"0044-03-15 BC",-infinity})"_s);
    add("timestamptz[]", u"timestamptz[]"_s,
        QVariantList{ts("2024-02-29 23:59:59.123456+00"), QVariant::fromValue(QPg::Timestamp::infinity())},
        uR"({"2024-02-29 23:59:59.123456+00",infinity})"_s);
    add("uuid[] from strings", u"uuid[]"_s, QStringList{uuid.toString(QUuid::WithoutBraces)},
        u"{67c8770b-44f1-410a-ab9a-b2d0d4c9cdd0}"_s);
    add("jsonb[]", u"jsonb[]"_s, QVariantList{QJsonObject{{u"a"_s, u"b c"_s}}, QJsonValue(1)},
        uR"({"{\"a\": \"b c\"}",1})"_s);
    add("bytea[]", u"bytea[]"_s, QVariantList{QByteArray("\0\1", 2), QVariant()}, uR"({"\\x0001",NULL})"_s);
    add("inet[]", u"inet[]"_s, QStringList{u"::1"_s, u"10.0.0.1/8"_s}, u"{::1,10.0.0.1/8}"_s);
    add("interval[]", u"interval[]"_s, QStringList{u"1 day"_s, u"-00:00:01"_s}, uR"({"1 day",-00:00:01})"_s);
    add("bool[]", u"bool[]"_s, QVariantList{true, false, QVariant()}, u"{t,f,NULL}"_s);
}

void tst_BinaryCodec::encodeRoundTrip()
{
    QFETCH(QString, type);
    QFETCH(QVariant, input);
    QFETCH(QString, text);

    const quint32 oid = typeOid(type);
    QVERIFY(oid != 0);
    QVERIFY(canEncodeBinary(oid));
    QByteArray encoded;
    QString error;
    QVERIFY2(encodeBinary(oid, input, &encoded, &error), qPrintable(error));
    QVERIFY(!encoded.isNull());

    // The parameter in the type's own output format.
    const ResultPtr r = exec(u"SELECT $1"_s, 0, {oid}, {encoded});
    QVERIFY2(PQresultStatus(r.get()) == PGRES_TUPLES_OK, PQerrorMessage(m_conn));
    QCOMPARE(QString::fromUtf8(PQgetvalue(r.get(), 0, 0), PQgetlength(r.get(), 0, 0)), text);
    // And sent back in binary, it decodes to what the text decodes to.
    const ResultPtr b = exec(u"SELECT $1"_s, 1, {oid}, {encoded});
    QVERIFY2(PQresultStatus(b.get()) == PGRES_TUPLES_OK, PQerrorMessage(m_conn));
    QVariant decoded;
    QVERIFY2(decodeBinary(oid, PQgetvalue(b.get(), 0, 0), PQgetlength(b.get(), 0, 0), &decoded, &error),
             qPrintable(error));
    const QVariant expected = decodeText(oid, PQgetvalue(r.get(), 0, 0), PQgetlength(r.get(), 0, 0));
    QVERIFY2(sameValue(decoded, expected), qPrintable(show(decoded) + u" vs "_s + show(expected)));
}

// Values a type cannot hold: an error that names the value and the type, before anything is sent.
void tst_BinaryCodec::encodeErrors_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QVariant>("input");
    QTest::addColumn<QString>("mentions");
    const auto add = [](const char *name, const QString &type, const QVariant &input, const QString &mentions) {
        QTest::newRow(name) << type << input << mentions;
    };
    add("int2 range", u"int2"_s, 40000, u"40000"_s);
    add("int4 range", u"int4"_s, qlonglong(1) << 40, u"1099511627776"_s);
    add("int8 from qulonglong max", u"int8"_s, std::numeric_limits<qulonglong>::max(), u"18446744073709551615"_s);
    add("int4 fraction", u"int4"_s, 1.5, u"1.5"_s);
    add("int4 text", u"int4"_s, u"12abc"_s, u"12abc"_s);
    add("int4 text range", u"int4"_s, u"99999999999999999999"_s, u"99999999999999999999"_s);
    add("oid negative", u"oid"_s, -1, u"-1"_s);
    add("float4 overflow", u"float4"_s, 1e300, u"1e+300"_s);
    add("float4 underflow", u"float4"_s, 1e-300, u"1e-300"_s);
    add("float8 text", u"float8"_s, u"one"_s, u"one"_s);
    add("numeric text", u"numeric"_s, u"1.2.3"_s, u"1.2.3"_s);
    add("numeric exponent", u"numeric"_s, u"1e100000"_s, u"1e100000"_s);
    add("numeric bool", u"numeric"_s, true, u"bool"_s);
    add("text NUL", u"text"_s, u"a\0b"_s, u"NUL"_s);
    add("name too long", u"name"_s, QString(64, u'x'), u"name"_s);
    add("char too long", u"\"char\""_s, u"ab"_s, u"\"ab\""_s);
    add("bytea bad hex", u"bytea"_s, u"\\xZZ"_s, u"\\xZZ"_s);
    add("date range", u"date"_s, QDate(5874898, 1, 1), u"date"_s);
    add("date text", u"date"_s, u"yesterday"_s, u"yesterday"_s);
    add("time text", u"time"_s, u"25:00"_s, u"25:00"_s);
    add("time too precise", u"time"_s, u"12:00:00.1234567"_s, u"12:00:00.1234567"_s);
    add("timetz no zone", u"timetz"_s, u"12:00:00"_s, u"timetz"_s);
    add("timetz QTime", u"timetz"_s, QTime(12, 0), u"timetz"_s);
    add("timestamptz no offset", u"timestamptz"_s, u"2024-01-01 12:00:00"_s, u"offset"_s);
    add("timestamp range", u"timestamp"_s, QVariant::fromValue(QPg::Timestamp::fromMicroseconds(std::numeric_limits<qint64>::min(), false)),
        u"out of range"_s);
    add("interval text", u"interval"_s, u"3 fortnights"_s, u"3 fortnights"_s);
    add("interval fraction", u"interval"_s, u"0.0000001 sec"_s, u"interval"_s);
    add("uuid text", u"uuid"_s, u"not-a-uuid"_s, u"not-a-uuid"_s);
    add("json NaN", u"jsonb"_s, std::nan(""), u"jsonb"_s);
    add("inet text", u"inet"_s, u"300.1.1.1"_s, u"300.1.1.1"_s);
    add("inet mask", u"inet"_s, u"10.0.0.1/33"_s, u"10.0.0.1/33"_s);
    add("cidr host bits", u"cidr"_s, u"10.0.0.1/8"_s, u"right of the mask"_s);
    add("array ragged", u"int4[]"_s, QVariantList{QVariantList{1, 2}, QVariantList{3}}, u"rectangular"_s);
    add("array mixed depth", u"int4[]"_s, QVariantList{QVariantList{1, 2}, 3}, u"int4[]"_s);
    add("array element", u"int2[]"_s, QVariantList{1, 70000}, u"70000"_s);
    add("array from scalar", u"int4[]"_s, 5, u"int4[]"_s);
    add("array 7-D", u"int4[]"_s,
        QVariantList{QVariantList{QVariantList{QVariantList{QVariantList{QVariantList{QVariantList{1}}}}}}},
        u"dimensions"_s);
    add("int4 from QUuid", u"int4"_s, QUuid::createUuid(), u"QUuid"_s);
    add("point has no encoder", u"point"_s, u"(1,2)"_s, u"point"_s);
}

void tst_BinaryCodec::encodeErrors()
{
    QFETCH(QString, type);
    QFETCH(QVariant, input);
    QFETCH(QString, mentions);
    const quint32 oid = typeOid(type);
    QVERIFY(oid != 0);
    QByteArray encoded = "stale";
    QString error;
    QVERIFY(!encodeBinary(oid, input, &encoded, &error));
    QVERIFY(encoded.isEmpty());
    QVERIFY2(error.contains(mentions), qPrintable(error));
    QVERIFY2(error.contains(typeName(oid)) || oid == Oid::Point, qPrintable(error));
}

void tst_BinaryCodec::nullAndEmpty()
{
    // NULLs encode to a null byte array (sent as SQL NULL), empty values to an empty, non-null one.
    QByteArray out;
    QString error;
    for (const QVariant &null : {QVariant(), sqlNull, QVariant(QDate()), QVariant::fromValue(QPg::Timestamp()),
                                 QVariant(QJsonValue(QJsonValue::Undefined))}) {
        out = "x";
        QVERIFY(encodeBinary(Oid::Int4, null, &out, &error));
        QVERIFY(out.isNull());
    }
    QVERIFY(encodeBinary(Oid::Text, QString(), &out, &error));
    QVERIFY(!out.isNull());
    QVERIFY(out.isEmpty());
    QVERIFY(encodeBinary(Oid::Bytea, QByteArray(), &out, &error));
    QVERIFY(!out.isNull());
    const ResultPtr r = exec(u"SELECT $1::bytea IS NULL, length($1)"_s, 0, {Oid::Bytea}, {out});
    QCOMPARE(QByteArray(PQgetvalue(r.get(), 0, 0)), QByteArray("f"));
    QCOMPARE(QByteArray(PQgetvalue(r.get(), 0, 1)), QByteArray("0"));
}

// Malformed binary input gives an error, never a crash or a read past the end (the fuzz targets
// cover this far more widely).
void tst_BinaryCodec::malformedInput_data()
{
    QTest::addColumn<quint32>("oid");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("int4 short") << Oid::Int4 << QByteArray("\0\0\1", 3);
    QTest::newRow("int8 long") << Oid::Int8 << QByteArray(9, '\0');
    QTest::newRow("bool empty") << Oid::Bool << QByteArray();
    QTest::newRow("numeric digits missing") << Oid::Numeric << QByteArray("\0\2\0\0\0\0\0\0\0\1", 10);
    QTest::newRow("numeric bad digit") << Oid::Numeric << QByteArray("\0\1\0\0\0\0\0\0\x27\x10", 10);
    QTest::newRow("numeric bad sign") << Oid::Numeric << QByteArray("\0\0\0\0\x12\x34\0\0", 8);
    QTest::newRow("date out of range") << Oid::Date << QByteArray("\x7f\xff\xff\xf0", 4);
    QTest::newRow("time negative") << Oid::Time << QByteArray("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    QTest::newRow("timestamp out of range") << Oid::Timestamp << QByteArray("\x7f\xff\xff\xff\xff\xff\xff\xfe", 8);
    QTest::newRow("timetz zone") << Oid::TimeTz << QByteArray("\0\0\0\0\0\0\0\0\x7f\0\0\0", 12);
    QTest::newRow("uuid short") << Oid::Uuid << QByteArray(15, 'x');
    QTest::newRow("jsonb version") << Oid::Jsonb << QByteArray("\2{}", 3);
    QTest::newRow("inet family") << Oid::Inet << QByteArray("\7\x20\0\4\1\2\3\4", 8);
    QTest::newRow("inet bits") << Oid::Inet << QByteArray("\2\x21\0\4\1\2\3\4", 8);
    QTest::newRow("inet size") << Oid::Inet << QByteArray("\3\x20\0\4\1\2\3\4", 8);
    QTest::newRow("array dims") << Oid::Int4Array << QByteArray("\0\0\0\7\0\0\0\0\0\0\0\x17", 12);
    QTest::newRow("array element type") << Oid::Int4Array << QByteArray("\0\0\0\0\0\0\0\0\0\0\0\x14", 12);
    QTest::newRow("array huge") << Oid::Int4Array
                                << QByteArray("\0\0\0\1\0\0\0\0\0\0\0\x17\x7f\xff\xff\xff\0\0\0\1", 20);
    QTest::newRow("array element cut") << Oid::Int4Array
                                       << QByteArray("\0\0\0\1\0\0\0\0\0\0\0\x17\0\0\0\1\0\0\0\1\0\0\0\4\0\0", 26);
    QTest::newRow("array trailing") << Oid::Int4Array << QByteArray("\0\0\0\0\0\0\0\0\0\0\0\x17\0", 13);
    QTest::newRow("no decoder") << Oid::Point << QByteArray(16, '\0');
}

void tst_BinaryCodec::malformedInput()
{
    QFETCH(quint32, oid);
    QFETCH(QByteArray, bytes);
    // A copy of exactly the input's size, so that AddressSanitizer sees any read beyond it.
    const std::unique_ptr<char[]> data(new char[size_t(qMax<qsizetype>(bytes.size(), 1))]);
    memcpy(data.get(), bytes.constData(), size_t(bytes.size()));
    QVariant value;
    QString error;
    QVERIFY(!decodeBinary(oid, data.get(), int(bytes.size()), &value, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY2(error.contains(typeName(oid)), qPrintable(error));
}

// Every type the codec claims is known to the server with that OID and has binary I/O there.
void tst_BinaryCodec::typeCoverage()
{
    QList<quint32> oids(std::begin(binaryCodecTypes), std::end(binaryCodecTypes));
    for (const ArrayTypePair &pair : knownArrayTypes)
        oids.append(pair.array);
    for (const quint32 oid : oids) {
        const ResultPtr r = exec(u"SELECT typsend::text <> '-', typreceive::text <> '-' FROM pg_type WHERE oid = %1"_s.arg(oid), 0);
        QCOMPARE(PQntuples(r.get()), 1);
        QCOMPARE(QByteArray(PQgetvalue(r.get(), 0, 0)), QByteArray("t"));
        QVERIFY(hasBinaryDecoder(oid));
        QVERIFY(canEncodeBinary(oid));
    }
    QVERIFY(!hasBinaryDecoder(Oid::Point));
    QVERIFY(!canEncodeBinary(Oid::Money));
}

QTEST_MAIN(tst_BinaryCodec)
#include "tst_binarycodec.moc"
