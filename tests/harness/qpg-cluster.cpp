// SPDX-License-Identifier: MIT
// qpg-cluster start|stop|status <statefile>
//
// start: creates a private PostgreSQL cluster, writes its connection details to <statefile> and exits,
//        leaving the server running (the CTest fixture setup).
// stop:  stops the cluster named in <statefile> and deletes it; succeeds when it is already gone.
// With QPG_TEST_DSN set nothing is started or stopped: the state file just passes that server on
// (QPG_TEST_PASSWORD_DSN and QPG_TEST_SOCKET_DSN too, when set).

#include "privatecluster.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QSaveFile>
#include <QtCore/QTextStream>

#include <cstdio>

using namespace Qt::Literals::StringLiterals;
using QPg::Dev::PrivateCluster;

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

int usage()
{
    err() << "usage: qpg-cluster start|stop|status <statefile>\n"
             "  QPG_TEST_DSN set: use that server instead of starting one\n";
    return 2;
}

bool externalServer()
{
    return !qEnvironmentVariableIsEmpty("QPG_TEST_DSN");
}

int writeExternalState(const QString &stateFile)
{
    QSaveFile file(stateFile);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        err() << "qpg-cluster: cannot write " << stateFile << ": " << file.errorString() << Qt::endl;
        return 1;
    }
    const QString text = u"# External server from QPG_TEST_DSN; qpg-cluster stop leaves it alone\n"_s
        + u"EXTERNAL=1\n"_s
        + u"DSN="_s + qEnvironmentVariable("QPG_TEST_DSN") + u'\n'
        + u"PASSWORD_DSN="_s + qEnvironmentVariable("QPG_TEST_PASSWORD_DSN") + u'\n'
        + u"SOCKET_DSN="_s + qEnvironmentVariable("QPG_TEST_SOCKET_DSN") + u'\n';
    file.write(text.toUtf8());
    if (!file.commit()) {
        err() << "qpg-cluster: cannot write " << stateFile << ": " << file.errorString() << Qt::endl;
        return 1;
    }
    out() << "qpg-cluster: using the external server from QPG_TEST_DSN" << Qt::endl;
    return 0;
}

// Stops the cluster a state file names. True when no cluster of it is left.
bool stopFromState(const QString &stateFile)
{
    if (!QFileInfo::exists(stateFile))
        return true;
    QString error;
    const auto state = PrivateCluster::readStateFile(stateFile, &error);
    if (!state) {
        err() << "qpg-cluster: " << error << Qt::endl;
        return false;
    }
    if (state->value(u"BASE_DIR"_s).isEmpty())
        return true; // an external server: not ours to stop
    auto cluster = PrivateCluster::loadState(stateFile, &error);
    if (!cluster) {
        err() << "qpg-cluster: " << error << Qt::endl;
        return false;
    }
    const QString baseDir = cluster->baseDirectory();
    if (!QFileInfo::exists(baseDir))
        return true;
    cluster->stop();
    if (QFileInfo::exists(baseDir)) {
        err() << "qpg-cluster: could not stop and remove the cluster in " << baseDir << Qt::endl;
        return false;
    }
    out() << "qpg-cluster: stopped and removed " << baseDir << Qt::endl;
    return true;
}

int start(const QString &stateFile)
{
    if (externalServer())
        return writeExternalState(stateFile);

    // A run that was killed may have left its cluster behind.
    if (!stopFromState(stateFile))
        return 1;
    QFile::remove(stateFile);

    out() << "qpg-cluster: " << PrivateCluster::describe() << Qt::endl;
    PrivateCluster cluster;
    QString error;
    if (!cluster.start(&error)) {
        err() << "qpg-cluster: could not start a private PostgreSQL cluster: " << error << Qt::endl;
        return 1;
    }
    if (!cluster.saveState(stateFile, &error)) {
        err() << "qpg-cluster: " << error << Qt::endl;
        return 1; // the destructor stops the cluster
    }
    cluster.setKeepOnExit(true);
    out() << "qpg-cluster: started in " << cluster.baseDirectory() << "\n"
          << "  DSN=" << cluster.dsn() << "\n"
          << "  SOCKET_DSN=" << cluster.socketDsn() << "\n"
          << "  state file: " << stateFile << Qt::endl;
    return 0;
}

int stop(const QString &stateFile)
{
    if (externalServer()) {
        out() << "qpg-cluster: external server from QPG_TEST_DSN, nothing to stop" << Qt::endl;
        return 0;
    }
    if (!QFileInfo::exists(stateFile)) {
        out() << "qpg-cluster: no state file " << stateFile << ", nothing to stop" << Qt::endl;
        return 0;
    }
    if (!stopFromState(stateFile))
        return 1;
    QFile::remove(stateFile);
    return 0;
}

int status(const QString &stateFile)
{
    QString error;
    const auto state = PrivateCluster::readStateFile(stateFile, &error);
    if (!state) {
        err() << "qpg-cluster: " << error << Qt::endl;
        return 1;
    }
    if (state->value(u"BASE_DIR"_s).isEmpty()) {
        out() << "external server: " << state->value(u"DSN"_s) << Qt::endl;
        return 0;
    }
    const auto cluster = PrivateCluster::loadState(stateFile, &error);
    const bool running = cluster && cluster->isServerRunning();
    out() << (running ? "running: " : "not running: ") << state->value(u"DSN"_s) << " in "
          << state->value(u"BASE_DIR"_s) << Qt::endl;
    return running ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 3)
        return usage();
    const QString command = args.at(1);
    const QString stateFile = QFileInfo(args.at(2)).absoluteFilePath();
    if (command == u"start")
        return start(stateFile);
    if (command == u"stop")
        return stop(stateFile);
    if (command == u"status")
        return status(stateFile);
    return usage();
}
