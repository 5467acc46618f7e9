// SPDX-License-Identifier: MIT
// qpgpool-copy-memory: imports and exports a large CSV file through COPY and reports the peak
// resident memory of each direction, to check that COPY streams in bounded memory.
//   qpgpool-copy-memory [--megabytes N] [--dsn DSN]
// Without --dsn it starts a private PostgreSQL of its own.

#include <QPg/connection.h>

#include "privatecluster.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QFile>
#include <QtCore/QFutureWatcher>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTextStream>

#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace {

template<typename T>
T await(const QFuture<T> &future)
{
    if (!future.isFinished()) {
        QEventLoop loop;
        QFutureWatcher<T> watcher;
        QObject::connect(&watcher, &QFutureWatcherBase::finished, &loop, &QEventLoop::quit);
        watcher.setFuture(future);
        if (!future.isFinished())
            loop.exec();
    }
    if constexpr (std::is_void_v<T>)
        QFuture<T>(future).waitForFinished();
    else
        return future.result();
}

// Peak resident set size (VmHWM) in KiB; resetPeak() starts a new measurement (Linux clear_refs).
qint64 peakKiB()
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

void resetPeak()
{
    QFile clear(u"/proc/self/clear_refs"_s);
    if (clear.open(QIODevice::WriteOnly))
        clear.write("5");
}

// A CSV file of about megabytes MB with quoting, NULLs and unicode, written in pieces.
qint64 writeCsv(const QString &path, qint64 megabytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    const qint64 target = megabytes * 1024 * 1024;
    qint64 rows = 0;
    QByteArray chunk;
    while (file.size() + chunk.size() < target) {
        ++rows;
        chunk += QByteArray::number(rows) + ",\"name " + QByteArray::number(rows % 9973) + ", \"\"quoted\"\" Zürich\","
            + QByteArray::number(rows * 7 % 100000) + '.' + QByteArray::number(rows % 100) + ','
            + (rows % 10 == 0 ? QByteArray() : QByteArray("a note that pads the row to a realistic width")) + '\n';
        if (chunk.size() > 1024 * 1024) {
            file.write(chunk);
            chunk.clear();
        }
    }
    file.write(chunk);
    return rows;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"COPY a large CSV in and out and report the peak memory of each direction."_s);
    parser.addHelpOption();
    parser.addOption({u"megabytes"_s, u"Size of the CSV file (1024)."_s, u"n"_s, u"1024"_s});
    parser.addOption({u"dsn"_s, u"Server to use instead of a private one."_s, u"dsn"_s});
    parser.process(app);
    QTextStream out(stdout);

    std::optional<QPg::Dev::PrivateCluster> cluster;
    QString dsn = parser.value(u"dsn"_s);
    if (dsn.isEmpty()) {
        cluster.emplace();
        QString error;
        if (!cluster->start(&error))
            qFatal("cannot start PostgreSQL: %s", qPrintable(error));
        dsn = cluster->dsn();
    }
    QTemporaryDir dir;
    const QString in = dir.filePath(u"in.csv"_s);
    const QString outPath = dir.filePath(u"out.csv"_s);
    const qint64 rows = writeCsv(in, parser.value(u"megabytes"_s).toLongLong());
    const double megabytes = double(QFile(in).size()) / (1024 * 1024);

    try {
        QPg::Connection con(dsn);
        await(con.open());
        await(con.execute(u"DROP TABLE IF EXISTS copy_memory; CREATE UNLOGGED TABLE copy_memory (id bigint, name text, amount numeric, note text)"_s));
        QPg::CopyOptions csv;
        csv.format = QPg::CopyOptions::Format::Csv;

        const qint64 baseline = peakKiB();
        resetPeak();
        QElapsedTimer timer;
        timer.start();
        const qint64 imported = await(con.copyToTable(u"copy_memory"_s, in, csv));
        const double importSeconds = timer.elapsed() / 1000.0;
        const qint64 importPeak = peakKiB();

        resetPeak();
        timer.start();
        const qint64 exported = await(con.copyFromTable(u"copy_memory"_s, outPath, csv));
        const double exportSeconds = timer.elapsed() / 1000.0;
        const qint64 exportPeak = peakKiB();
        const bool identical = QFile(outPath).size() == QFile(in).size();
        await(con.execute(u"DROP TABLE copy_memory"_s));

        out << u"CSV %1 MB, %2 rows (process peak before COPY: %3 MB)\n"_s.arg(megabytes, 0, 'f', 0).arg(rows).arg(baseline / 1024);
        out << u"import  %1 rows in %2 s (%3 MB/s), peak RSS %4 MB\n"_s.arg(imported).arg(importSeconds, 0, 'f', 1)
                   .arg(megabytes / importSeconds, 0, 'f', 0).arg(importPeak / 1024);
        out << u"export  %1 rows in %2 s (%3 MB/s), peak RSS %4 MB, same size as the input: %5\n"_s.arg(exported)
                   .arg(exportSeconds, 0, 'f', 1).arg(megabytes / exportSeconds, 0, 'f', 0).arg(exportPeak / 1024)
                   .arg(identical ? u"yes"_s : u"no"_s);
        out.flush();
        return imported == rows && exported == rows && identical ? 0 : 1;
    } catch (const QPg::Error &e) {
        qCritical("copy-memory: %s", e.what());
        return 1;
    }
}
