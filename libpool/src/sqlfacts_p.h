// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QHash>
#include <QtCore/QString>

namespace QPg::Private {

// What the text of a statement tells before it runs.
struct SqlFacts
{
    bool preparable = false;     // worth a cached prepared statement (not DECLARE, SET...)
    bool changesSession = false; // advisory locks, set_config: state no command tag reveals
    bool createsTemp = false;    // may create temporary objects (CREATE TEMP ..., pg_temp)
};

SqlFacts scanSql(QStringView sql);

// scanSql per distinct text, remembered: an application runs the same few statements again and
// again, and a hash lookup is cheaper than the case-insensitive scans. Bounded: it starts afresh
// when full, and long texts are scanned each time rather than kept.
class SqlFactsCache
{
public:
    SqlFacts facts(const QString &sql);

private:
    static constexpr qsizetype MaxEntries = 256;
    static constexpr qsizetype MaxLength = 4096;
    QHash<QString, SqlFacts> m_facts;
};

} // namespace QPg::Private
