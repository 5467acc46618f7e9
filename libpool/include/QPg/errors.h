// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>

#include <QtCore/QException>
#include <QtCore/QString>
#include <QtCore/QVariantMap>

#include <memory>

namespace QPg {

// Every error QPgPool reports derives from QPg::Error, a QException, so it travels through QFuture
// (QFuture::result() rethrows it with its dynamic type) and can be caught by base class.
class QPGPOOL_EXPORT Error : public QException
{
public:
    explicit Error(const QString &message);
    ~Error() override;

    QString message() const { return m_message; }
    const char *what() const noexcept override;

    void raise() const override;
    Error *clone() const override;

private:
    QString m_message;
    QByteArray m_what;
};

// Gives an error class its own raise()/clone(), so QFuture rethrows the exact type.
#define QPG_ERROR_CLASS(Class, Base)                                      \
    class QPGPOOL_EXPORT Class : public Base                              \
    {                                                                     \
    public:                                                               \
        using Base::Base;                                                 \
        void raise() const override { throw *this; }                      \
        Class *clone() const override { return new Class(*this); }        \
    }

// Misuse of the API: operation on a closed connection, released pool handle, bad argument...
QPG_ERROR_CLASS(InterfaceError, Error);
// A connection could not be established (network, DNS, protocol, connect timeout).
QPG_ERROR_CLASS(ConnectionError, Error);
// The connection broke or was closed while (or before) an operation ran: the operation's outcome is
// unknown and no partial result is delivered.
QPG_ERROR_CLASS(ConnectionLostError, ConnectionError);
// A client-side deadline passed (command timeout, connect timeout, acquire timeout).
QPG_ERROR_CLASS(TimeoutError, Error);

// Pool errors.
// acquire() waited longer than its timeout.
QPG_ERROR_CLASS(AcquireTimeoutError, TimeoutError);
// The pool is closing or closed; also what queued waiters get when it closes.
QPG_ERROR_CLASS(PoolClosedError, InterfaceError);
// acquire() found maxWaiting callers already waiting.
QPG_ERROR_CLASS(PoolExhaustedError, Error);
// A pooled connection handle was used after it went back to the pool.
QPG_ERROR_CLASS(ConnectionReleasedError, InterfaceError);

// TableModel::submitAll(): a row was changed or deleted by someone else since the model read it,
// so the change was not applied (optimistic concurrency). Names the table, the row's primary key
// and its row in the model.
class QPGPOOL_EXPORT ConflictError : public Error
{
public:
    ConflictError(const QString &message, const QString &table, const QVariantMap &key, int row);
    ~ConflictError() override;

    QString table() const { return m_table; }
    // Primary-key column -> value, as the model read the row.
    QVariantMap key() const { return m_key; }
    // The model's row at the time of the submit.
    int row() const { return m_row; }

    void raise() const override;
    ConflictError *clone() const override;

private:
    QString m_table;
    QVariantMap m_key;
    int m_row = -1;
};

// Everything the server said about an error (PostgreSQL's ErrorResponse fields).
struct QPGPOOL_EXPORT ServerErrorFields
{
    QString sqlState;
    QString severity; // non-localized: ERROR, FATAL, PANIC
    QString message;
    QString detail;
    QString hint;
    int position = 0; // 1-based character position in the statement, 0 if none
    int internalPosition = 0;
    QString internalQuery;
    QString context;
    QString schemaName;
    QString tableName;
    QString columnName;
    QString dataTypeName;
    QString constraintName;
    // The server function that raised it (PG_DIAG_SOURCE_FUNCTION): not translated, so it tells
    // errors apart whatever lc_messages is.
    QString sourceFunction;
};

// An error reported by the server. Concrete subclasses exist for common SQLSTATEs, grouped under one
// class per SQLSTATE class (the first two characters); ServerError::create picks the most specific.
class QPGPOOL_EXPORT ServerError : public Error
{
public:
    explicit ServerError(const ServerErrorFields &fields);
    ~ServerError() override;

    const ServerErrorFields &fields() const { return m_fields; }
    QString sqlState() const { return m_fields.sqlState; }
    QString severity() const { return m_fields.severity; }
    QString detail() const { return m_fields.detail; }
    QString hint() const { return m_fields.hint; }
    int position() const { return m_fields.position; }
    QString schemaName() const { return m_fields.schemaName; }
    QString tableName() const { return m_fields.tableName; }
    QString columnName() const { return m_fields.columnName; }
    QString constraintName() const { return m_fields.constraintName; }
    // Where it happened, e.g. "COPY items, line 3, column qty: \"x\"".
    QString context() const { return m_fields.context; }

    // True for errors after which the session is gone: SQLSTATE class 08 and 57P01..57P05.
    bool isDisconnect() const;

    void raise() const override;
    ServerError *clone() const override;

    // The most specific subclass for fields.sqlState.
    static std::unique_ptr<ServerError> create(const ServerErrorFields &fields);

private:
    ServerErrorFields m_fields;
};

// SQLSTATE classes.
QPG_ERROR_CLASS(ConnectionExceptionError, ServerError);              // 08
QPG_ERROR_CLASS(FeatureNotSupportedError, ServerError);              // 0A
QPG_ERROR_CLASS(DataError, ServerError);                             // 22
QPG_ERROR_CLASS(IntegrityConstraintViolationError, ServerError);     // 23
QPG_ERROR_CLASS(InvalidTransactionStateError, ServerError);          // 25
QPG_ERROR_CLASS(InvalidAuthorizationSpecificationError, ServerError); // 28
QPG_ERROR_CLASS(InvalidCatalogNameError, ServerError);               // 3D
QPG_ERROR_CLASS(TransactionRollbackError, ServerError);              // 40
QPG_ERROR_CLASS(SyntaxErrorOrAccessRuleViolationError, ServerError); // 42
QPG_ERROR_CLASS(InsufficientResourcesError, ServerError);            // 53
QPG_ERROR_CLASS(ProgramLimitExceededError, ServerError);             // 54
QPG_ERROR_CLASS(ObjectNotInPrerequisiteStateError, ServerError);     // 55
QPG_ERROR_CLASS(OperatorInterventionError, ServerError);             // 57
QPG_ERROR_CLASS(SystemError, ServerError);                           // 58
QPG_ERROR_CLASS(PlPgSqlError, ServerError);                          // P0
QPG_ERROR_CLASS(InternalServerError, ServerError);                   // XX

// Common SQLSTATEs.
QPG_ERROR_CLASS(StringDataRightTruncationError, DataError);                     // 22001
QPG_ERROR_CLASS(DivisionByZeroError, DataError);                                // 22012
QPG_ERROR_CLASS(InvalidTextRepresentationError, DataError);                     // 22P02
QPG_ERROR_CLASS(NotNullViolationError, IntegrityConstraintViolationError);      // 23502
QPG_ERROR_CLASS(ForeignKeyViolationError, IntegrityConstraintViolationError);   // 23503
QPG_ERROR_CLASS(UniqueViolationError, IntegrityConstraintViolationError);       // 23505
QPG_ERROR_CLASS(CheckViolationError, IntegrityConstraintViolationError);        // 23514
QPG_ERROR_CLASS(ExclusionViolationError, IntegrityConstraintViolationError);    // 23P01
QPG_ERROR_CLASS(ReadOnlySqlTransactionError, InvalidTransactionStateError);     // 25006
QPG_ERROR_CLASS(InFailedSqlTransactionError, InvalidTransactionStateError);     // 25P02
QPG_ERROR_CLASS(InvalidPasswordError, InvalidAuthorizationSpecificationError);  // 28P01
QPG_ERROR_CLASS(SerializationFailureError, TransactionRollbackError);           // 40001
QPG_ERROR_CLASS(DeadlockDetectedError, TransactionRollbackError);               // 40P01
QPG_ERROR_CLASS(InsufficientPrivilegeError, SyntaxErrorOrAccessRuleViolationError); // 42501
QPG_ERROR_CLASS(SqlSyntaxError, SyntaxErrorOrAccessRuleViolationError);         // 42601
QPG_ERROR_CLASS(UndefinedColumnError, SyntaxErrorOrAccessRuleViolationError);   // 42703
QPG_ERROR_CLASS(UndefinedFunctionError, SyntaxErrorOrAccessRuleViolationError); // 42883
QPG_ERROR_CLASS(UndefinedTableError, SyntaxErrorOrAccessRuleViolationError);    // 42P01
QPG_ERROR_CLASS(DuplicateTableError, SyntaxErrorOrAccessRuleViolationError);    // 42P07
QPG_ERROR_CLASS(TooManyConnectionsError, InsufficientResourcesError);           // 53300
QPG_ERROR_CLASS(LockNotAvailableError, ObjectNotInPrerequisiteStateError);      // 55P03
QPG_ERROR_CLASS(QueryCanceledError, OperatorInterventionError);                 // 57014
QPG_ERROR_CLASS(AdminShutdownError, OperatorInterventionError);                 // 57P01
QPG_ERROR_CLASS(CrashShutdownError, OperatorInterventionError);                 // 57P02
QPG_ERROR_CLASS(CannotConnectNowError, OperatorInterventionError);              // 57P03
QPG_ERROR_CLASS(IdleSessionTimeoutError, OperatorInterventionError);            // 57P05
QPG_ERROR_CLASS(RaiseExceptionError, PlPgSqlError);                             // P0001

} // namespace QPg
