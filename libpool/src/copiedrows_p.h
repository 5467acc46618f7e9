// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "pgresult_p.h"

#include <QtCore/QByteArray>

#include <vector>

namespace QPg::Private {

// Rows gathered from libpq's single-row results (a stream's chunk) into one buffer. libpq's own
// way to gather rows into a result, PQsetvalue, costs about a microsecond per row; a copy into
// this buffer costs a few nanoseconds per value.
struct CopiedRows
{
    struct Value
    {
        qint32 start;
        qint32 length; // -1: NULL
    };

    // The first row's result: its columns' names, types and formats (its own row is not read).
    PGresultPtr header;
    QByteArray data; // each value followed by a NUL, as libpq keeps them
    std::vector<Value> values; // row by row
    int rows = 0;

    qsizetype bytes() const { return data.size(); }
    const Value &at(int row, int column, int columns) const
    {
        return values[size_t(row) * size_t(columns) + size_t(column)];
    }

    // Copies the one row of a PGRES_SINGLE_TUPLE result; the first row's result is kept as header.
    void append(PGresultPtr row)
    {
        const PGresult *r = row.get();
        const int columns = PQnfields(r);
        for (int c = 0; c < columns; ++c) {
            if (PQgetisnull(r, 0, c)) {
                values.push_back({0, -1});
                continue;
            }
            const int length = PQgetlength(r, 0, c);
            values.push_back({qint32(data.size()), length});
            data.append(PQgetvalue(r, 0, c), length + 1); // the NUL libpq keeps after the value
        }
        ++rows;
        if (!header)
            header = std::move(row);
    }
};

} // namespace QPg::Private
