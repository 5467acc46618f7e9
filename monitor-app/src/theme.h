// SPDX-License-Identifier: MIT
#pragma once

#include <QtGui/QColor>
#include <QtGui/QPalette>

namespace QPg::Monitor::Theme {

enum class Series { Size, Idle, Active, Waiting, MaxSize, Acquires, Queries, Errors, WaitP50, WaitP99 };

// Series colours picked for the palette in use: darker hues on light backgrounds, lighter ones on
// dark backgrounds, so every line keeps its contrast in both.
bool isDark(const QPalette &palette);
QColor seriesColor(Series series, const QPalette &palette);
QColor gridColor(const QPalette &palette);
QColor subtleTextColor(const QPalette &palette);
QColor errorColor(const QPalette &palette);

} // namespace QPg::Monitor::Theme
