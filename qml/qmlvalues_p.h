// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/record.h>

#include <QtQml/QJSValue>

class QJSEngine;

namespace QPg::Qml {

// A value as QML sees it: timestamps as Date (millisecond precision), everything else as it comes
// (SQL NULL stays a QVariant holding nullptr, which QML reads as null).
QVariant toQml(const QVariant &value);

// A row as a JavaScript object keyed by column name; of duplicate names the first column wins.
QJSValue toJsObject(QJSEngine *engine, const QPg::Record &row);

} // namespace QPg::Qml
