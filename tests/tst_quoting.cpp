// SPDX-License-Identifier: MIT
// Issue 13 item 5: every place that builds a startup option or SQL text from a caller's names or
// values (serverSettings in the "options" startup parameter, table, schema and column names and
// option literals of COPY, LISTEN channels), checked against the real server with awkward text.
#include <QPg/connection.h>

#include "await.h"
#include "testserver.h"

#include <QtCore/QBuffer>
#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

class tst_Quoting : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void serverSettingRoundTrips_data();
    void serverSettingRoundTrips();
    void serverSettingWithNulRefused();
    void namesWorkAsIdentifiers_data();
    void namesWorkAsIdentifiers();
    void listenChannelRoundTrips_data();
    void listenChannelRoundTrips();
    void copyOptionLiteralsRoundTrip_data();
    void copyOptionLiteralsRoundTrip();
};

namespace {

// Text that breaks naive quoting: every kind of whitespace the server splits startup options on,
// both quote characters, backslashes (also last, and before a space), "=" and non-ASCII.
// copyNullMarkers leaves out what COPY's text format cannot take as a NULL marker: newlines and
// its delimiter (tab) are refused, and a final backslash escapes the delimiter after it.
void addAwkwardRows(bool copyNullMarkers = false)
{
    QTest::addColumn<QString>("text");
    const std::pair<const char *, QString> rows[] = {
        {"space", u"a b"_s},
        {"tab", u"a\tb"_s},
        {"newline", u"a\nb"_s},
        {"carriage return", u"a\r\nb"_s},
        {"vertical tab, form feed", u"a\v\fb"_s},
        {"single quote", u"it's"_s},
        {"double quote", u"say \"hi\""_s},
        {"backslash", u"a\\b"_s},
        {"trailing backslash", u"ab\\"_s},
        {"backslash space", u"a\\ b"_s},
        {"quote after backslash", u"\\'; SELECT 1; --"_s},
        {"equals, dash c", u"x -c work_mem=1MB"_s},
        {"non-ASCII", u"Zürich ✓ 日本 😀"_s},
        {"everything", u" \t'\"\\\n\\\\ ü"_s},
    };
    for (const auto &[name, text] : rows) {
        if (copyNullMarkers
            && (text.contains(u'\t') || text.contains(u'\n') || text.contains(u'\r') || text.endsWith(u'\\')))
            continue;
        QTest::newRow(name) << text;
    }
}

std::unique_ptr<QPg::Connection> open(const QPg::ConnectOptions &options = QPg::ConnectOptions::fromDsn(dsn()))
{
    auto con = std::make_unique<QPg::Connection>(options);
    await(con->open());
    return con;
}

} // namespace

void tst_Quoting::serverSettingRoundTrips_data()
{
    addAwkwardRows();
}

// A serverSettings value reaches the server unchanged, as one setting: nothing in it starts another.
void tst_Quoting::serverSettingRoundTrips()
{
    QFETCH(QString, text);
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
    options.serverSettings.insert(u"qpg.probe"_s, text);
    options.serverSettings.insert(u"qpg.after"_s, u"last"_s);
    auto con = open(options);
    QCOMPARE(await(con->fetchValue(u"SELECT current_setting('qpg.probe')"_s)).toString(), text);
    QCOMPARE(await(con->fetchValue(u"SELECT current_setting('qpg.after')"_s)).toString(), u"last"_s);
    const QString workMem = u"SELECT current_setting('work_mem')"_s;
    QCOMPARE(await(con->fetchValue(workMem)).toString(), await(open()->fetchValue(workMem)).toString());
}

// libpq takes the options as a C string: a NUL would silently cut off every setting after it.
void tst_Quoting::serverSettingWithNulRefused()
{
    QPg::ConnectOptions options = QPg::ConnectOptions::fromDsn(dsn());
    options.serverSettings.insert(u"qpg.probe"_s, u"a"_s + QChar(u'\0') + u"b"_s);
    QPg::Connection con(options);
    auto error = awaitError<QPg::InterfaceError>(con.open());
    QVERIFY(error);
    QVERIFY2(error->message().contains(u"NUL"_s), qPrintable(error->message()));
}

void tst_Quoting::namesWorkAsIdentifiers_data()
{
    addAwkwardRows();
}

// The same text as a schema, table and column name through the COPY helpers, which quote them.
void tst_Quoting::namesWorkAsIdentifiers()
{
    QFETCH(QString, text);
    auto con = open();
    // The server quotes with format('%I') for the setup and checks, independently of our quoting.
    auto run = [&con](const QString &formatSql, const QVariantList &names) {
        const QString sql = await(con->fetchValue(formatSql, names)).toString();
        return await(con->fetch(sql));
    };
    run(u"SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', $1::text)"_s, {text});
    run(u"SELECT format('CREATE SCHEMA %I', $1::text)"_s, {text});
    run(u"SELECT format('CREATE TABLE %I.%I (id int, %I text)', $1::text, $1::text, $1::text)"_s, {text});

    QPg::CopyOptions copy;
    copy.schema = text;
    copy.columns = {u"id"_s, text};
    QCOMPARE(await(con->copyRecordsToTable(text, {{1, text}}, copy)), 1);
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    QCOMPARE(await(con->copyFromTable(text, &out, copy)), 1);
    QBuffer in;
    in.setData(out.data());
    in.open(QIODevice::ReadOnly);
    QCOMPARE(await(con->copyToTable(text, &in, copy)), 1);
    const QPg::RecordList rows = run(u"SELECT format('SELECT %I FROM %I.%I', $1::text, $1::text, $1::text)"_s, {text});
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows.at(0)[0].toString(), text);
    QCOMPARE(rows.at(1)[0].toString(), text);
    run(u"SELECT format('DROP SCHEMA %I CASCADE', $1::text)"_s, {text});
}

void tst_Quoting::listenChannelRoundTrips_data()
{
    addAwkwardRows();
}

void tst_Quoting::listenChannelRoundTrips()
{
    QFETCH(QString, text);
    auto con = open();
    QString channel;
    QString payload;
    await(con->addListener(text, [&](const QPg::Notification &n) {
        channel = n.channel;
        payload = n.payload;
    }));
    QCOMPARE(await(con->fetchValue(u"SELECT count(*) FROM pg_listening_channels() WHERE pg_listening_channels = $1"_s, {text})).toInt(), 1);
    auto other = open();
    await(other->execute(u"SELECT pg_notify($1, $1)"_s, {text}));
    QTRY_COMPARE(payload, text);
    QCOMPARE(channel, text);
    await(con->removeListener(text));
    QCOMPARE(await(con->fetchValue(u"SELECT count(*) FROM pg_listening_channels()"_s)).toInt(), 0);
}

void tst_Quoting::copyOptionLiteralsRoundTrip_data()
{
    addAwkwardRows(/*copyNullMarkers*/ true);
}

// A NULL marker (a quoted literal in COPY's WITH clause) is written and read back as given, also
// in a session with standard_conforming_strings off (which a direct connection never has, but a
// server's default may give a connection through PgBouncer).
void tst_Quoting::copyOptionLiteralsRoundTrip()
{
    QFETCH(QString, text);
    auto con = open();
    await(con->execute(u"CREATE TEMP TABLE nulls (a text, b text)"_s));
    for (const QString &conforming : {u"on"_s, u"off"_s}) {
        await(con->execute(u"SET standard_conforming_strings = "_s + conforming));
        await(con->execute(u"TRUNCATE nulls"_s));
        QPg::CopyOptions copy;
        copy.null = text;
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        QCOMPARE(await(con->copyFromQuery(u"SELECT NULL::text, 'x'"_s, &out, copy)), 1);
        QCOMPARE(QString::fromUtf8(out.data()), text + u"\tx\n"_s);
        QBuffer in;
        in.setData(out.data());
        in.open(QIODevice::ReadOnly);
        QCOMPARE(await(con->copyToTable(u"nulls"_s, &in, copy)), 1);
        QCOMPARE(await(con->fetchValue(u"SELECT count(*) FROM nulls WHERE a IS NULL AND b = 'x'"_s)).toInt(), 1);
    }
}

QTEST_MAIN(tst_Quoting)
#include "tst_quoting.moc"
