// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QSize>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <optional>

class QCoreApplication;

namespace QPg::Monitor {

// The command line of qpgpool-monitor.
struct MonitorOptions
{
    QString dsn;
    int minSize = 2;
    int maxSize = 10;
    bool demo = false;
    bool headless = false;
    QString screenshotFile;
    double quitAfterSeconds = 0; // 0: run until closed or interrupted
    QString query;               // run in the query runner once the pool is open
    QSize windowSize;            // invalid: the default
    QStringList attach;          // --attach: application names, socket paths or host:port
    QByteArray token;            // from --token-file, for host:port
    QString format = QStringLiteral("text"); // --format for --headless --attach: text, csv, json

    // Parses arguments; --help and --version print and exit, errors print and exit with 2.
    static MonitorOptions parse(const QCoreApplication &app);
    // Before any QApplication exists: whether argv asks for a mode that needs no display.
    static bool argumentsWantHeadless(int argc, char **argv);
    static bool argumentsWantScreenshot(int argc, char **argv);
    // --help, --help-all or --version: the program only prints and exits.
    static bool argumentsAskForInfo(int argc, char **argv);
    // True when a window can be shown: DISPLAY, WAYLAND_DISPLAY or an explicit QT_QPA_PLATFORM.
    static bool displayAvailable();
};

} // namespace QPg::Monitor
