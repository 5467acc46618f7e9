// SPDX-License-Identifier: MIT
#include "sqlfacts_p.h"

#include <QtCore/QStringList>

namespace QPg::Private {

namespace {

// Statements worth preparing; utility commands (DECLARE, FETCH, SET...) run unnamed.
bool isPreparable(QStringView sql)
{
    static const QStringList keywords = {QStringLiteral("select"), QStringLiteral("insert"), QStringLiteral("update"),
                                         QStringLiteral("delete"), QStringLiteral("with"),   QStringLiteral("values"),
                                         QStringLiteral("table"),  QStringLiteral("merge")};
    const QStringView text = sql.trimmed();
    for (const QString &keyword : keywords) {
        if (text.startsWith(keyword, Qt::CaseInsensitive)
            && (text.size() == keyword.size() || !text.at(keyword.size()).isLetterOrNumber()))
            return true;
    }
    return false;
}

} // namespace

SqlFacts scanSql(QStringView sql)
{
    SqlFacts facts;
    facts.preparable = isPreparable(sql);
    facts.changesSession = sql.contains(u"pg_advisory", Qt::CaseInsensitive) || sql.contains(u"set_config", Qt::CaseInsensitive);
    // A false positive only adds DISCARD TEMP to a reset that runs anyway.
    facts.createsTemp = sql.contains(u"temp", Qt::CaseInsensitive) && sql.contains(u"create", Qt::CaseInsensitive);
    return facts;
}

SqlFacts SqlFactsCache::facts(const QString &sql)
{
    if (sql.size() > MaxLength)
        return scanSql(sql);
    if (auto it = m_facts.constFind(sql); it != m_facts.cend())
        return *it;
    if (m_facts.size() >= MaxEntries)
        m_facts.clear();
    const SqlFacts facts = scanSql(sql);
    m_facts.insert(sql, facts);
    return facts;
}

} // namespace QPg::Private
