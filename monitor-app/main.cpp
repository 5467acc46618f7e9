// SPDX-License-Identifier: MIT
// qpgpool-monitor: live dashboard, controls and query runner for a QPg::Pool. See --help.

#include "attachreporter.h"
#include "attachtarget.h"
#include "attachview.h"
#include "headlessreporter.h"
#include "mainwindow.h"
#include "monitoroptions.h"
#include "monitorsession.h"
#include "unixsignalwatcher.h"

#include <QtCore/QTimer>
#include <QtWidgets/QApplication>

#include <cstdio>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace QPg::Monitor;

namespace {

// Screenshots wait for this much live data when --quit-after does not say otherwise.
constexpr double DefaultScreenshotDelaySeconds = 3.0;
// If the pool never reports open or failed, give up waiting after this long.
constexpr int StartupTimeoutMs = 120'000;

} // namespace

int main(int argc, char **argv)
{
    // Decided before the application object exists, since that picks the platform plugin.
    bool headless = MonitorOptions::argumentsWantHeadless(argc, argv);
    const bool screenshot = MonitorOptions::argumentsWantScreenshot(argc, argv);
    if (!headless && !MonitorOptions::displayAvailable()) {
        if (screenshot || MonitorOptions::argumentsAskForInfo(argc, argv)) {
            // A screenshot needs no screen (and --help none at all): render offscreen.
            qputenv("QT_QPA_PLATFORM", "offscreen");
        } else {
            std::fprintf(stderr, "qpgpool-monitor: no display (DISPLAY and WAYLAND_DISPLAY are unset, "
                                 "QT_QPA_PLATFORM is not set): running --headless\n");
            headless = true;
        }
    }

    std::unique_ptr<QCoreApplication> app;
    if (headless)
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    QCoreApplication::setApplicationName(u"qpgpool-monitor"_s);
    QCoreApplication::setOrganizationName(u"QPgPool"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(QPG_MONITOR_VERSION));
    if (!headless)
        QGuiApplication::setDesktopFileName(u"qpgpool-monitor"_s);

    MonitorOptions options = MonitorOptions::parse(*app);
    options.headless = headless;

    MonitorSession session;
    UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &UnixSignalWatcher::terminationRequested, app.get(), &QCoreApplication::quit);

    std::unique_ptr<HeadlessReporter> reporter;
    std::unique_ptr<AttachReporter> attachReporter;
    std::unique_ptr<MainWindow> window;
    // --attach alone watches other applications' pools; the window opens its own pool too when a
    // DSN or --demo is given.
    const bool ownPool = options.attach.isEmpty() || (!headless && (options.demo || !options.dsn.isEmpty()));
    if (headless && !ownPool) {
        attachReporter = std::make_unique<AttachReporter>(*AttachReporter::parseFormat(options.format));
    } else if (headless) {
        reporter = std::make_unique<HeadlessReporter>(&session);
        reporter->start();
    } else {
        window = std::make_unique<MainWindow>(&session);
        if (options.windowSize.isValid())
            window->resize(options.windowSize);
        window->show();
    }

    // --quit-after and --screenshot count from the moment the pool is open (or failed to open), so
    // the slow start of a demo cluster does not eat the live data.
    double delaySeconds = options.quitAfterSeconds;
    if (!options.screenshotFile.isEmpty() && delaySeconds <= 0)
        delaySeconds = DefaultScreenshotDelaySeconds;
    int exitCode = 0;
    auto finish = [&] {
        if (window && !options.screenshotFile.isEmpty()) {
            if (window->saveScreenshot(options.screenshotFile)) {
                std::fprintf(stdout, "qpgpool-monitor: screenshot saved to %s\n", qPrintable(options.screenshotFile));
            } else {
                std::fprintf(stderr, "qpgpool-monitor: could not write %s\n", qPrintable(options.screenshotFile));
                exitCode = 1;
            }
        }
        QCoreApplication::exit(exitCode);
    };
    if (delaySeconds > 0) {
        auto armed = std::make_shared<bool>(false);
        auto arm = [&, armed] {
            if (*armed)
                return;
            *armed = true;
            QTimer::singleShot(int(delaySeconds * 1000), app.get(), finish);
        };
        QObject::connect(&session, &MonitorSession::poolStateChanged, app.get(),
                         [arm](PoolController::PoolState state) {
                             using S = PoolController::PoolState;
                             if (state == S::Open || state == S::Failed || state == S::Closed)
                                 arm();
                         });
        QTimer::singleShot(StartupTimeoutMs, app.get(), arm);
        if (attachReporter)
            QObject::connect(attachReporter.get(), &AttachReporter::firstSnapshot, app.get(), arm);
        if (window)
            QObject::connect(window->attachView(), &AttachView::currentSample, app.get(), arm);
    }
    for (const QString &name : std::as_const(options.attach)) {
        const AttachTarget target = *AttachTarget::parse(name, options.token);
        if (attachReporter)
            attachReporter->attach(target);
        else if (window)
            window->attachView()->attach(target);
    }

    if (window && !options.query.isEmpty()) {
        auto ran = std::make_shared<bool>(false);
        QObject::connect(&session, &MonitorSession::poolStateChanged, window.get(),
                         [&window, &options, ran](PoolController::PoolState state) {
                             if (state != PoolController::PoolState::Open || *ran)
                                 return;
                             *ran = true;
                             window->runInQueryRunner(options.query);
                         });
    }

    if (ownPool && options.demo)
        session.startDemo(options.minSize, options.maxSize);
    else if (ownPool)
        session.openPool(options.dsn, options.minSize, options.maxSize);

    const int rc = app->exec();
    // Windows first (they watch the session), then the worker: pool and demo cluster shut down.
    window.reset();
    reporter.reset();
    attachReporter.reset();
    session.shutdown();
    return rc != 0 ? rc : exitCode;
}
