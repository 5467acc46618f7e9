// SPDX-License-Identifier: MIT
#include "qmlvalues_p.h"

#include <QPg/timestamp.h>

#include <QtQml/QJSEngine>

namespace QPg::Qml {

QVariant toQml(const QVariant &value)
{
    if (value.metaType() == QMetaType::fromType<QPg::Timestamp>())
        return value.value<QPg::Timestamp>().toDateTime();
    return value;
}

QJSValue toJsObject(QJSEngine *engine, const QPg::Record &row)
{
    QJSValue object = engine->newObject();
    for (int c = row.size() - 1; c >= 0; --c) // the first of duplicate names is set last
        object.setProperty(row.columnName(c), engine->toScriptValue(toQml(row.value(c))));
    return object;
}

} // namespace QPg::Qml
