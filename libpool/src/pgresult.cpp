// SPDX-License-Identifier: MIT
#include "pgresult_p.h"

namespace QPg::Private {

ServerErrorFields serverErrorFields(const PGresult *result)
{
    auto field = [result](int code) { return QString::fromUtf8(PQresultErrorField(result, code)); };
    ServerErrorFields f;
    f.sqlState = field(PG_DIAG_SQLSTATE);
    f.severity = field(PG_DIAG_SEVERITY_NONLOCALIZED);
    if (f.severity.isEmpty())
        f.severity = field(PG_DIAG_SEVERITY);
    f.message = field(PG_DIAG_MESSAGE_PRIMARY);
    if (f.message.isEmpty())
        f.message = QString::fromUtf8(PQresultErrorMessage(result)).trimmed();
    f.detail = field(PG_DIAG_MESSAGE_DETAIL);
    f.hint = field(PG_DIAG_MESSAGE_HINT);
    f.position = field(PG_DIAG_STATEMENT_POSITION).toInt();
    f.internalPosition = field(PG_DIAG_INTERNAL_POSITION).toInt();
    f.internalQuery = field(PG_DIAG_INTERNAL_QUERY);
    f.context = field(PG_DIAG_CONTEXT);
    f.schemaName = field(PG_DIAG_SCHEMA_NAME);
    f.tableName = field(PG_DIAG_TABLE_NAME);
    f.columnName = field(PG_DIAG_COLUMN_NAME);
    f.dataTypeName = field(PG_DIAG_DATATYPE_NAME);
    f.constraintName = field(PG_DIAG_CONSTRAINT_NAME);
    f.sourceFunction = field(PG_DIAG_SOURCE_FUNCTION);
    return f;
}

} // namespace QPg::Private
