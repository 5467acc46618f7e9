// SPDX-License-Identifier: MIT
// qpgpool-model-fill: rows per second into a table model shown in a QTableView, and how long the
// GUI thread is blocked meanwhile. QPg::QueryModel (the pool in a worker thread, rows streamed in
// chunks) side by side with QSqlQueryModel on Qt's QPSQL driver, each read to its last row, in
// alternating rounds on the same server. The dashboard's latency probe (a 20 ms precise timer in
// the GUI thread) records how late it fires: a blocked GUI shows up as its worst frame. See
// docs/BENCHMARKS.md.
//
//   qpgpool-model-fill [--rows N] [--rounds R] [--model qpg|qsql|both] [--chunk N] [--dsn DSN] [--trace]
// Server: --dsn, QPG_BENCH_DSN, QPG_BENCH_STATE_FILE, else a private cluster started for the run.

#include "benchclock.h"
#include "benchserver.h"
#include "latencyprobe.h"

#include <QPg/pool.h>
#include <QPg/querymodel.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>
#include <QtSql/QSqlQueryModel>
#include <QtWidgets/QApplication>
#include <QtWidgets/QTableView>

#include <algorithm>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace {

struct Round
{
    double seconds = 0;
    double cpuSeconds = 0;
    int rows = 0;
    double p99 = 0;
    double worst = 0;
    double firstRows = 0; // seconds until the model had its first rows
    QList<QPair<double, int>> chunks; // when each insertion arrived (ms) and the rows it brought
};

// Times one fill: fill() returns once model has every row; the dashboard's probe watches the GUI.
template<typename Fill>
Round measure(const QAbstractItemModel &model, Fill fill)
{
    QPg::Monitor::LatencyProbe probe;
    Round round;
    const double cpuBefore = QPgBench::processCpuSeconds();
    QElapsedTimer took;
    const QMetaObject::Connection arrivals = QObject::connect(
        &model, &QAbstractItemModel::rowsInserted, [&](const QModelIndex &, int first, int last) {
            round.chunks.append({double(took.nsecsElapsed()) / 1e6, last - first + 1});
            if (round.firstRows == 0)
                round.firstRows = double(took.nsecsElapsed()) / 1e9;
        });
    // QSqlQueryModel's first rows come with the reset that ends setQuery().
    const QMetaObject::Connection reset = QObject::connect(&model, &QAbstractItemModel::modelReset, [&] {
        if (round.firstRows == 0 && model.rowCount() > 0)
            round.firstRows = double(took.nsecsElapsed()) / 1e9;
    });
    took.start();
    probe.start();
    fill();
    probe.stop();
    QObject::disconnect(arrivals);
    QObject::disconnect(reset);
    round.seconds = double(took.nsecsElapsed()) / 1e9;
    round.cpuSeconds = QPgBench::processCpuSeconds() - cpuBefore;
    round.rows = model.rowCount();
    round.p99 = probe.percentileMs(0.99);
    round.worst = probe.maxMs();
    return round;
}

QString fillSql(int rows)
{
    return u"SELECT g AS id, md5(g::text) AS hash, g * 2 AS twice, now() AS at FROM generate_series(1, %1) g"_s.arg(rows);
}

Round fillQueryModel(QPg::Pool *pool, QTableView &view, int rows, int chunkSize)
{
    QPg::QueryModel model;
    model.setFetchMode(QPg::QueryModel::FetchMode::Eager);
    model.setChunkSize(chunkSize);
    view.setModel(&model);
    const Round round = measure(model, [&] {
        QEventLoop loop;
        QObject::connect(&model, &QPg::QueryModel::finished, &loop, &QEventLoop::quit);
        QObject::connect(&model, &QPg::QueryModel::errorOccurred, &loop, [&](const QString &message) {
            std::fprintf(stderr, "qpgpool-model-fill: %s\n", qPrintable(message));
            loop.quit();
        });
        model.setQuery(pool, fillSql(rows));
        loop.exec();
    });
    view.setModel(nullptr);
    return round;
}

Round fillSqlQueryModel(QTableView &view, int rows)
{
    QSqlQueryModel model;
    view.setModel(&model);
    const Round round = measure(model, [&] {
        // The GUI thread's event loop gets a turn between fetchMore() calls, as a view scrolling to
        // the end would give it; setQuery() itself runs the whole query in this thread.
        QEventLoop loop;
        QTimer::singleShot(0, &loop, [&] {
            model.setQuery(fillSql(rows), QSqlDatabase::database());
            if (model.lastError().isValid())
                std::fprintf(stderr, "qpgpool-model-fill: %s\n", qPrintable(model.lastError().text()));
            QTimer *step = new QTimer(&loop);
            QObject::connect(step, &QTimer::timeout, &loop, [&model, &loop] {
                if (!model.canFetchMore())
                    loop.quit();
                else
                    model.fetchMore();
            });
            step->start(0);
        });
        loop.exec();
    });
    view.setModel(nullptr);
    return round;
}

// QSqlDatabase takes the connection as separate fields: the DSN's key=value pairs.
bool openQSqlDatabase(const QString &dsn)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s);
    QStringList options;
    for (const QString &pair : dsn.split(u' ', Qt::SkipEmptyParts)) {
        const qsizetype eq = pair.indexOf(u'=');
        const QString key = pair.left(eq);
        const QString value = pair.mid(eq + 1);
        if (key == u"host")
            db.setHostName(value);
        else if (key == u"port")
            db.setPort(value.toInt());
        else if (key == u"dbname")
            db.setDatabaseName(value);
        else if (key == u"user")
            db.setUserName(value);
        else if (key == u"password")
            db.setPassword(value);
        else
            options.append(pair);
    }
    db.setConnectOptions(options.join(u';'));
    if (!db.open()) {
        std::fprintf(stderr, "qpgpool-model-fill: QPSQL: %s (Debian: libqt6sql6-psql)\n", qPrintable(db.lastError().text()));
        return false;
    }
    return true;
}

void report(const char *name, const QList<Round> &rounds)
{
    QList<Round> sorted = rounds;
    std::sort(sorted.begin(), sorted.end(), [](const Round &a, const Round &b) { return a.seconds < b.seconds; });
    const Round &median = sorted.at(sorted.size() / 2);
    double worst = 0;
    for (const Round &r : rounds)
        worst = std::max(worst, r.worst);
    std::printf("%-34s %8d rows  %7.2f s  %9.0f rows/s  %6.2f µs CPU/row  first rows %6.3f s  GUI p99 %7.1f ms  "
                "worst %7.1f ms\n",
                name, median.rows, median.seconds, median.rows / median.seconds, median.cpuSeconds * 1e6 / median.rows,
                median.firstRows, median.p99, worst);
    QStringList all;
    for (const Round &r : rounds)
        all.append(QString::number(r.seconds, 'f', 2));
    std::printf("%-34s rounds: %s s\n", "", qPrintable(all.join(u' ')));
}

// Where a round's time went: each insertion's arrival, and the pause since the one before.
void traceChunks(const char *name, const Round &round)
{
    std::printf("%s, last round: %lld insertions\n", name, qlonglong(round.chunks.size()));
    if (round.chunks.size() > 64) // small chunks: the count says enough
        return;
    double before = 0;
    for (const auto &[ms, rows] : round.chunks) {
        std::printf("  %9.1f ms  +%7.1f ms  %7d rows\n", ms, ms - before, rows);
        before = ms;
    }
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Rows per second into a QTableView: QPg::QueryModel and QSqlQueryModel."_s);
    parser.addHelpOption();
    const QCommandLineOption rowsOption(u"rows"_s, u"Rows per fill (default 1000000)."_s, u"N"_s, u"1000000"_s);
    const QCommandLineOption roundsOption(u"rounds"_s, u"Rounds per model (default 3)."_s, u"R"_s, u"3"_s);
    const QCommandLineOption modelOption(u"model"_s, u"qpg, qsql or both (default)."_s, u"M"_s, u"both"_s);
    const QCommandLineOption chunkOption(u"chunk"_s, u"QueryModel chunk size (default 20000)."_s, u"N"_s, u"20000"_s);
    const QCommandLineOption dsnOption(u"dsn"_s, u"Server to use."_s, u"DSN"_s);
    const QCommandLineOption traceOption(u"trace"_s, u"Print when each chunk of the last round arrived."_s);
    parser.addOptions({rowsOption, roundsOption, modelOption, chunkOption, dsnOption, traceOption});
    parser.process(app);
    const int rows = std::max(1, parser.value(rowsOption).toInt());
    const int roundCount = std::max(1, parser.value(roundsOption).toInt());
    const QString which = parser.value(modelOption);
    const bool runQpg = which == u"both" || which == u"qpg";
    const bool runQsql = which == u"both" || which == u"qsql";

    QPgBench::BenchServer server;
    QString error;
    if (!server.resolve(parser.value(dsnOption), QString(), &error)) {
        std::fprintf(stderr, "qpgpool-model-fill: %s\n", qPrintable(error));
        return 1;
    }
    if (runQsql && !openQSqlDatabase(server.dsn()))
        return 1;

    // The pool in a worker thread, as a desktop application keeps libpq off its GUI thread.
    QThread worker;
    worker.start();
    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(server.dsn());
    options.minSize = 1;
    options.maxSize = 2;
    auto *pool = new QPg::Pool(options);
    pool->moveToThread(&worker);
    QFuture<void> opened = pool->open();
    while (!opened.isFinished())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    try {
        opened.waitForFinished();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "qpgpool-model-fill: %s\n", e.what());
        return 1;
    }

    QTableView view;
    view.resize(1200, 750);
    view.show();

    std::printf("qpgpool-model-fill: %d rows × 4 columns into a QTableView (offscreen), %d rounds, median round\n",
                rows, roundCount);
    QList<Round> qpgRounds;
    QList<Round> qsqlRounds;
    for (int i = 0; i < roundCount; ++i) {
        if (runQpg)
            qpgRounds.append(fillQueryModel(pool, view, rows, std::max(1, parser.value(chunkOption).toInt())));
        if (runQsql)
            qsqlRounds.append(fillSqlQueryModel(view, rows));
    }
    if (runQpg)
        report("QPg::QueryModel (pool in a thread)", qpgRounds);
    if (runQsql)
        report("QSqlQueryModel (QPSQL)", qsqlRounds);
    if (parser.isSet(traceOption) && runQpg)
        traceChunks("QPg::QueryModel", qpgRounds.last());

    QMetaObject::invokeMethod(pool, [pool] { delete pool; }, Qt::BlockingQueuedConnection);
    worker.quit();
    worker.wait();
    return 0;
}
