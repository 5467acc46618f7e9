// SPDX-License-Identifier: MIT
// QPg::Transaction: commit, rollback, nesting with savepoints, scope exit, and the options.
#include <QPg/connection.h>

#include "await.h"
#include "testserver.h"

#include <QtTest/QTest>

using namespace Qt::Literals::StringLiterals;
using namespace QPgTest;

class tst_Transaction : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void commitKeepsChanges();
    void rollbackDiscardsChanges();
    void nestedTransactionsAreSavepoints();
    void leavingScopeRollsBack();
    void failedCommitReportsRollback();
    void isolationReadOnlyDeferrable();
    void misuseIsInterfaceError();

private:
    qlonglong count() { return await(m_con->fetchValue(u"SELECT count(*) FROM tx_items"_s)).toLongLong(); }
    std::unique_ptr<QPg::Connection> m_con;
};

void tst_Transaction::init()
{
    m_con = std::make_unique<QPg::Connection>(dsn());
    await(m_con->open());
    await(m_con->execute(u"CREATE TEMP TABLE tx_items (v int UNIQUE)"_s));
}

void tst_Transaction::cleanup()
{
    m_con.reset();
}

void tst_Transaction::commitKeepsChanges()
{
    QPg::Transaction tx = m_con->transaction();
    await(tx.start());
    QVERIFY(tx.isActive());
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::InTransaction);
    await(m_con->execute(u"INSERT INTO tx_items VALUES ($1)"_s, 1));
    await(tx.commit());
    QVERIFY(!tx.isActive());
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
    QCOMPARE(count(), 1LL);
}

void tst_Transaction::rollbackDiscardsChanges()
{
    QPg::Transaction tx = m_con->transaction();
    await(tx.start());
    await(m_con->execute(u"INSERT INTO tx_items VALUES ($1)"_s, 1));
    await(tx.rollback());
    QCOMPARE(count(), 0LL);
}

void tst_Transaction::nestedTransactionsAreSavepoints()
{
    QPg::Transaction outer = m_con->transaction();
    await(outer.start());
    await(m_con->execute(u"INSERT INTO tx_items VALUES (1)"_s));
    {
        QPg::Transaction inner = m_con->transaction();
        await(inner.start());
        QVERIFY(inner.isNested());
        await(m_con->execute(u"INSERT INTO tx_items VALUES (2)"_s));
        // An error inside the savepoint only loses the savepoint's work.
        QVERIFY(awaitError<QPg::UniqueViolationError>(m_con->execute(u"INSERT INTO tx_items VALUES (1)"_s)));
        await(inner.rollback());
    }
    {
        QPg::Transaction kept = m_con->transaction();
        await(kept.start());
        await(m_con->execute(u"INSERT INTO tx_items VALUES (3)"_s));
        await(kept.commit());
    }
    await(outer.commit());
    QCOMPARE(await(m_con->fetchValue(u"SELECT string_agg(v::text, ',' ORDER BY v) FROM tx_items"_s)).toString(), u"1,3"_s);
}

void tst_Transaction::leavingScopeRollsBack()
{
    {
        QPg::Transaction tx = m_con->transaction();
        await(tx.start());
        await(m_con->execute(u"INSERT INTO tx_items VALUES (1)"_s));
    } // no commit: the rollback is queued before anything that follows
    QCOMPARE(count(), 0LL);
    QCOMPARE(m_con->transactionStatus(), QPg::Connection::TransactionStatus::Idle);
}

void tst_Transaction::failedCommitReportsRollback()
{
    QPg::Transaction tx = m_con->transaction();
    await(tx.start());
    await(m_con->execute(u"INSERT INTO tx_items VALUES (1)"_s));
    QVERIFY(awaitError<QPg::UniqueViolationError>(m_con->execute(u"INSERT INTO tx_items VALUES (1)"_s)));
    // The server answers COMMIT of a failed transaction with ROLLBACK: that must not look like success.
    QVERIFY(awaitError<QPg::InFailedSqlTransactionError>(tx.commit()));
    QCOMPARE(count(), 0LL);
}

void tst_Transaction::isolationReadOnlyDeferrable()
{
    QPg::TransactionOptions options;
    options.isolation = QPg::TransactionOptions::Isolation::Serializable;
    options.readOnly = true;
    options.deferrable = true;
    QPg::Transaction tx = m_con->transaction(options);
    await(tx.start());
    QCOMPARE(await(m_con->fetchValue(u"SHOW transaction_isolation"_s)).toString(), u"serializable"_s);
    QCOMPARE(await(m_con->fetchValue(u"SHOW transaction_read_only"_s)).toString(), u"on"_s);
    QCOMPARE(await(m_con->fetchValue(u"SHOW transaction_deferrable"_s)).toString(), u"on"_s);
    // (Temporary tables stay writable in a read-only transaction; a new table is refused.)
    QVERIFY(awaitError<QPg::ReadOnlySqlTransactionError>(m_con->execute(u"CREATE TABLE tx_never (v int)"_s)));
    await(tx.rollback());

    QPg::Transaction repeatable = m_con->transaction({.isolation = QPg::TransactionOptions::Isolation::RepeatableRead});
    await(repeatable.start());
    QCOMPARE(await(m_con->fetchValue(u"SHOW transaction_isolation"_s)).toString(), u"repeatable read"_s);
    await(repeatable.commit());
}

void tst_Transaction::misuseIsInterfaceError()
{
    QPg::Transaction tx = m_con->transaction();
    QVERIFY(awaitError<QPg::InterfaceError>(tx.commit()));
    await(tx.start());
    QVERIFY(awaitError<QPg::InterfaceError>(tx.start()));
    await(tx.commit());
    QVERIFY(awaitError<QPg::InterfaceError>(tx.rollback()));
}

QTEST_MAIN(tst_Transaction)
#include "tst_transaction.moc"
