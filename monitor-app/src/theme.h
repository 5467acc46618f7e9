// SPDX-License-Identifier: MIT
#pragma once

#include <QtGui/QColor>
#include <QtGui/QPalette>

namespace QPg::Monitor::Theme {

enum class Series { Size, Idle, Active, Waiting, MaxSize, Acquires, Queries, Errors, WaitP50, WaitP99 };

// The colour-blind-safe palette of Okabe and Ito ("Color Universal Design", 2008): its eight colours
// stay apart for people with protanopia, deuteranopia and tritanopia. No two series of one chart
// share a colour.
namespace OkabeIto {
inline constexpr QRgb Black = 0x000000;
inline constexpr QRgb Orange = 0xe69f00;
inline constexpr QRgb SkyBlue = 0x56b4e9;
inline constexpr QRgb BluishGreen = 0x009e73;
inline constexpr QRgb Yellow = 0xf0e442;
inline constexpr QRgb Blue = 0x0072b2;
inline constexpr QRgb Vermillion = 0xd55e00;
inline constexpr QRgb ReddishPurple = 0xcc79a7;
} // namespace OkabeIto

// Series colours for the palette in use, so every line keeps its contrast on light and dark
// backgrounds.
bool isDark(const QPalette &palette);
QColor seriesColor(Series series, const QPalette &palette);
QColor gridColor(const QPalette &palette);
QColor subtleTextColor(const QPalette &palette);
QColor errorColor(const QPalette &palette);

} // namespace QPg::Monitor::Theme
