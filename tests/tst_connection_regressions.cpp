// SPDX-License-Identifier: MIT
// Regression tests for defects found in Connection, Transaction, Cursor, COPY and the connection
// parameters (issue 9). Each test failed before its fix.
#include <QPg/connection.h>
#include <QPg/pool.h>

#include "await.h"
#include "openconnection.h"
#include "testserver.h"

#include <QtCore/QBuffer>
#include <QtCore/QLoggingCategory>
#include <QtCore/QPointer>
#include <QtCore/QSize>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

namespace {

} // namespace

class tst_ConnectionRegressions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Issue 9 #2: a row of the wrong length was found while the pipeline was written, after the
    // rows before it; the Sync still went out and committed them.
    void batchWithWrongRowLengthSendsNothing()
    {
        auto con = openConnection();
        await(con->execute(u"DROP TABLE IF EXISTS reg_batch; CREATE TABLE reg_batch (a int, b int)"_s));
        const QList<QVariantList> shortRow = {QVariantList{1, 2}, QVariantList{3, 4}, QVariantList{5}};
        QVERIFY(awaitError<QPg::InterfaceError>(con->executeMany(u"INSERT INTO reg_batch VALUES ($1, $2)"_s, shortRow)));
        const QList<QVariantList> longRow = {QVariantList{1, 2}, QVariantList{3, 4, 5}};
        QVERIFY(awaitError<QPg::InterfaceError>(
            con->fetchMany(u"INSERT INTO reg_batch VALUES ($1, $2) RETURNING a"_s, longRow)));
        const QList<QVariantList> unencodable = {QVariantList{1, 2}, QVariantList{3, QVariant::fromValue(QSize(1, 2))}};
        QVERIFY(awaitError<QPg::InterfaceError>(con->executeMany(u"INSERT INTO reg_batch VALUES ($1, $2)"_s, unencodable)));
        QCOMPARE(await(con->fetchValue(u"SELECT count(*) FROM reg_batch"_s)).toLongLong(), 0LL);
        QCOMPARE(con->queryCount(), 2); // the DDL and the count: no batch reached the server
        await(con->execute(u"DROP TABLE reg_batch"_s));
    }
};

QTEST_MAIN(tst_ConnectionRegressions)
#include "tst_connection_regressions.moc"
