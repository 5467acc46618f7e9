// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/record.h>

#include <QtCore/QFuture>
#include <QtCore/QVariant>

#include <type_traits>

namespace QPg {

struct QueryOptions;

// The variadic query forms take plain values; a QVariantList or QueryOptions argument selects the
// list form instead (wrap a list in a QVariant to pass it as one array parameter).
template<typename... Args>
concept QueryArguments = sizeof...(Args) > 0
    && !((std::is_same_v<std::remove_cvref_t<Args>, QVariantList>
          || std::is_same_v<std::remove_cvref_t<Args>, QueryOptions>) || ...);

// execute(sql, 1, u"two"_s, QDate::currentDate()) and friends for every class that has the
// QVariantList forms (Connection, PooledConnection, Pool). A class using it brings these into scope
// with `using VariadicQueries<Class>::execute;` and so on.
template<typename Derived>
class VariadicQueries
{
public:
    template<typename... Args>
        requires QueryArguments<Args...>
    QFuture<QString> execute(const QString &sql, Args &&...args)
    {
        return self().execute(sql, QVariantList{QVariant::fromValue(std::forward<Args>(args))...});
    }
    template<typename... Args>
        requires QueryArguments<Args...>
    QFuture<RecordList> fetch(const QString &sql, Args &&...args)
    {
        return self().fetch(sql, QVariantList{QVariant::fromValue(std::forward<Args>(args))...});
    }
    template<typename... Args>
        requires QueryArguments<Args...>
    QFuture<Record> fetchRow(const QString &sql, Args &&...args)
    {
        return self().fetchRow(sql, QVariantList{QVariant::fromValue(std::forward<Args>(args))...});
    }
    template<typename... Args>
        requires QueryArguments<Args...>
    QFuture<QVariant> fetchValue(const QString &sql, Args &&...args)
    {
        return self().fetchValue(sql, QVariantList{QVariant::fromValue(std::forward<Args>(args))...});
    }

private:
    Derived &self() { return static_cast<Derived &>(*this); }
};

} // namespace QPg
