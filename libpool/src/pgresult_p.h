// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/errors.h>

#include <libpq-fe.h>

#include <memory>

namespace QPg::Private {

struct PGresultDeleter
{
    void operator()(PGresult *result) const { PQclear(result); }
};
// Owns a PGresult; PQclear on destruction.
using PGresultPtr = std::unique_ptr<PGresult, PGresultDeleter>;

// The diagnostic fields of an error or notice result.
ServerErrorFields serverErrorFields(const PGresult *result);

} // namespace QPg::Private
