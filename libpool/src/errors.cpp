// SPDX-License-Identifier: MIT
#include <QPg/errors.h>

#include <QtCore/QHash>

#include <functional>

namespace QPg {

Error::Error(const QString &message)
    : m_message(message)
    , m_what(message.toUtf8())
{
}

Error::~Error() = default;

const char *Error::what() const noexcept
{
    return m_what.constData();
}

void Error::raise() const
{
    throw *this;
}

Error *Error::clone() const
{
    return new Error(*this);
}

ConflictError::ConflictError(const QString &message, const QString &table, const QVariantMap &key, int row)
    : Error(message)
    , m_table(table)
    , m_key(key)
    , m_row(row)
{
}

ConflictError::~ConflictError() = default;

void ConflictError::raise() const
{
    throw *this;
}

ConflictError *ConflictError::clone() const
{
    return new ConflictError(*this);
}

ServerError::ServerError(const ServerErrorFields &fields)
    : Error(fields.message)
    , m_fields(fields)
{
}

ServerError::~ServerError() = default;

bool ServerError::isDisconnect() const
{
    const QString &s = m_fields.sqlState;
    if (s.startsWith(u"08"))
        return true;
    return s == u"57P01" || s == u"57P02" || s == u"57P03" || s == u"57P04" || s == u"57P05";
}

void ServerError::raise() const
{
    throw *this;
}

ServerError *ServerError::clone() const
{
    return new ServerError(*this);
}

namespace {

using Factory = std::function<std::unique_ptr<ServerError>(const ServerErrorFields &)>;

template<typename T>
Factory make()
{
    return [](const ServerErrorFields &f) { return std::make_unique<T>(f); };
}

const QHash<QString, Factory> &exactFactories()
{
    static const QHash<QString, Factory> table = {
        {QStringLiteral("22001"), make<StringDataRightTruncationError>()},
        {QStringLiteral("22012"), make<DivisionByZeroError>()},
        {QStringLiteral("22P02"), make<InvalidTextRepresentationError>()},
        {QStringLiteral("23502"), make<NotNullViolationError>()},
        {QStringLiteral("23503"), make<ForeignKeyViolationError>()},
        {QStringLiteral("23505"), make<UniqueViolationError>()},
        {QStringLiteral("23514"), make<CheckViolationError>()},
        {QStringLiteral("23P01"), make<ExclusionViolationError>()},
        {QStringLiteral("25006"), make<ReadOnlySqlTransactionError>()},
        {QStringLiteral("25P02"), make<InFailedSqlTransactionError>()},
        {QStringLiteral("28P01"), make<InvalidPasswordError>()},
        {QStringLiteral("40001"), make<SerializationFailureError>()},
        {QStringLiteral("40P01"), make<DeadlockDetectedError>()},
        {QStringLiteral("42501"), make<InsufficientPrivilegeError>()},
        {QStringLiteral("42601"), make<SqlSyntaxError>()},
        {QStringLiteral("42703"), make<UndefinedColumnError>()},
        {QStringLiteral("42883"), make<UndefinedFunctionError>()},
        {QStringLiteral("42P01"), make<UndefinedTableError>()},
        {QStringLiteral("42P07"), make<DuplicateTableError>()},
        {QStringLiteral("53300"), make<TooManyConnectionsError>()},
        {QStringLiteral("55P03"), make<LockNotAvailableError>()},
        {QStringLiteral("57014"), make<QueryCanceledError>()},
        {QStringLiteral("57P01"), make<AdminShutdownError>()},
        {QStringLiteral("57P02"), make<CrashShutdownError>()},
        {QStringLiteral("57P03"), make<CannotConnectNowError>()},
        {QStringLiteral("57P05"), make<IdleSessionTimeoutError>()},
        {QStringLiteral("P0001"), make<RaiseExceptionError>()},
    };
    return table;
}

const QHash<QString, Factory> &classFactories()
{
    static const QHash<QString, Factory> table = {
        {QStringLiteral("08"), make<ConnectionExceptionError>()},
        {QStringLiteral("0A"), make<FeatureNotSupportedError>()},
        {QStringLiteral("22"), make<DataError>()},
        {QStringLiteral("23"), make<IntegrityConstraintViolationError>()},
        {QStringLiteral("25"), make<InvalidTransactionStateError>()},
        {QStringLiteral("28"), make<InvalidAuthorizationSpecificationError>()},
        {QStringLiteral("3D"), make<InvalidCatalogNameError>()},
        {QStringLiteral("40"), make<TransactionRollbackError>()},
        {QStringLiteral("42"), make<SyntaxErrorOrAccessRuleViolationError>()},
        {QStringLiteral("53"), make<InsufficientResourcesError>()},
        {QStringLiteral("54"), make<ProgramLimitExceededError>()},
        {QStringLiteral("55"), make<ObjectNotInPrerequisiteStateError>()},
        {QStringLiteral("57"), make<OperatorInterventionError>()},
        {QStringLiteral("58"), make<SystemError>()},
        {QStringLiteral("P0"), make<PlPgSqlError>()},
        {QStringLiteral("XX"), make<InternalServerError>()},
    };
    return table;
}

} // namespace

std::unique_ptr<ServerError> ServerError::create(const ServerErrorFields &fields)
{
    if (auto it = exactFactories().constFind(fields.sqlState); it != exactFactories().cend())
        return (*it)(fields);
    if (auto it = classFactories().constFind(fields.sqlState.left(2)); it != classFactories().cend())
        return (*it)(fields);
    return std::make_unique<ServerError>(fields);
}

} // namespace QPg
