// SPDX-License-Identifier: MIT
#include "monitoroptions.h"

#include "attachtarget.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>

#include <cstdio>
#include <cstring>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

namespace {

[[noreturn]] void fail(QCommandLineParser &parser, const QString &message)
{
    std::fprintf(stderr, "qpgpool-monitor: %s\n\n%s", qPrintable(message), qPrintable(parser.helpText()));
    std::exit(2);
}

bool hasArgument(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], name) == 0 || (std::strncmp(argv[i], name, std::strlen(name)) == 0
                                                && argv[i][std::strlen(name)] == '='))
            return true;
    }
    return false;
}

} // namespace

MonitorOptions MonitorOptions::parse(const QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Live dashboard, controls and query runner for a QPgPool connection pool.\n"
        "Without a display (no DISPLAY or WAYLAND_DISPLAY, QT_QPA_PLATFORM unset) it runs --headless."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(u"dsn"_s, u"libpq connection string or URI (default: libpq's environment)."_s,
                                 u"[DSN]"_s);
    const QCommandLineOption minOption(u"min"_s, u"Pool minimum size (default 2)."_s, u"N"_s, u"2"_s);
    const QCommandLineOption maxOption(u"max"_s, u"Pool maximum size (default 10)."_s, u"M"_s, u"10"_s);
    const QCommandLineOption demoOption(
        u"demo"_s, u"Start a private PostgreSQL cluster with sample data and run the load generator on it."_s);
    const QCommandLineOption headlessOption(
        u"headless"_s, u"No window: print a statistics table to stdout once a second."_s);
    const QCommandLineOption screenshotOption(
        u"screenshot"_s, u"Save the main window as a PNG after a few seconds of live data, then exit."_s,
        u"FILE"_s);
    const QCommandLineOption quitAfterOption(
        u"quit-after"_s, u"Quit this many seconds after the pool is open (or failed to open)."_s, u"SECONDS"_s);
    const QCommandLineOption queryOption(
        u"query"_s, u"Show the query runner and run SQL there once the pool is open (e.g. for --screenshot)."_s,
        u"SQL"_s);
    const QCommandLineOption sizeOption(u"window-size"_s, u"Initial window size (default 1280x860)."_s,
                                        u"WxH"_s);
    const QCommandLineOption attachOption(
        u"attach"_s,
        u"Show the pools of a running application: its name as discovered, its socket path, or host:port "
        "(with --token-file). May be repeated; without a DSN or --demo no pool of its own is opened."_s,
        u"NAME|HOST:PORT"_s);
    const QCommandLineOption tokenFileOption(u"token-file"_s, u"File holding the token for --attach host:port."_s,
                                             u"FILE"_s);
    const QCommandLineOption formatOption(
        u"format"_s, u"--headless --attach output: text, csv or json (one line per snapshot; default text)."_s,
        u"FORMAT"_s, u"text"_s);
    parser.addOptions({minOption, maxOption, demoOption, headlessOption, screenshotOption, quitAfterOption,
                       queryOption, sizeOption, attachOption, tokenFileOption, formatOption});
    parser.process(app);

    MonitorOptions options;
    bool ok = false;
    options.minSize = parser.value(minOption).toInt(&ok);
    if (!ok || options.minSize < 0)
        fail(parser, u"--min needs a number >= 0"_s);
    options.maxSize = parser.value(maxOption).toInt(&ok);
    if (!ok || options.maxSize < 1)
        fail(parser, u"--max needs a number >= 1"_s);
    if (options.minSize > options.maxSize)
        fail(parser, u"--min must not be larger than --max"_s);
    if (parser.isSet(quitAfterOption)) {
        options.quitAfterSeconds = parser.value(quitAfterOption).toDouble(&ok);
        if (!ok || options.quitAfterSeconds <= 0)
            fail(parser, u"--quit-after needs a number of seconds > 0"_s);
    }
    options.query = parser.value(queryOption);
    if (parser.isSet(sizeOption)) {
        const QStringList parts = parser.value(sizeOption).split(u'x');
        bool okHeight = false;
        if (parts.size() == 2)
            options.windowSize = QSize(parts[0].toInt(&ok), parts[1].toInt(&okHeight));
        if (parts.size() != 2 || !ok || !okHeight || options.windowSize.width() < 200 || options.windowSize.height() < 200)
            fail(parser, u"--window-size needs WIDTHxHEIGHT, at least 200x200"_s);
    }
    options.demo = parser.isSet(demoOption);
    options.headless = parser.isSet(headlessOption);
    options.screenshotFile = parser.value(screenshotOption);
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        fail(parser, u"at most one DSN may be given"_s);
    if (!positional.isEmpty())
        options.dsn = positional.first();
    if (options.demo && !options.dsn.isEmpty())
        fail(parser, u"--demo starts its own server: give no DSN with it"_s);
    options.attach = parser.values(attachOption);
    options.format = parser.value(formatOption);
    if (options.format != u"text" && options.format != u"csv" && options.format != u"json")
        fail(parser, u"--format must be text, csv or json"_s);
    if (parser.isSet(tokenFileOption)) {
        QString error;
        const std::optional<QByteArray> token = AttachTarget::readTokenFile(parser.value(tokenFileOption), &error);
        if (!token)
            fail(parser, error);
        options.token = *token;
    }
    for (const QString &target : std::as_const(options.attach)) {
        QString error;
        if (!AttachTarget::parse(target, options.token, &error))
            fail(parser, u"--attach: "_s + error);
    }
    if (options.headless && !options.screenshotFile.isEmpty())
        fail(parser, u"--screenshot needs the window: it cannot be combined with --headless"_s);
    return options;
}

bool MonitorOptions::argumentsWantHeadless(int argc, char **argv)
{
    return hasArgument(argc, argv, "--headless") || hasArgument(argc, argv, "-headless");
}

bool MonitorOptions::argumentsWantScreenshot(int argc, char **argv)
{
    return hasArgument(argc, argv, "--screenshot") || hasArgument(argc, argv, "-screenshot");
}

bool MonitorOptions::argumentsAskForInfo(int argc, char **argv)
{
    for (const char *name : {"-h", "--help", "-help", "--help-all", "-help-all", "-v", "--version", "-version"}) {
        if (hasArgument(argc, argv, name))
            return true;
    }
    return false;
}

bool MonitorOptions::displayAvailable()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

} // namespace QPg::Monitor
