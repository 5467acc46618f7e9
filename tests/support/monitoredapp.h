// SPDX-License-Identifier: MIT
// qpgpool-monitored-app (examples/monitored-app) as a child process of a test, on the test run's
// server. The test defines QPG_MONITORED_APP with the program's path.
#pragma once

#include "testserver.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QProcess>

namespace QPgTest {

class MonitoredAppProcess
{
public:
    MonitoredAppProcess() = default;
    MonitoredAppProcess(const MonitoredAppProcess &) = delete;
    MonitoredAppProcess &operator=(const MonitoredAppProcess &) = delete;
    ~MonitoredAppProcess() { kill(); }

    // Starts it with arguments after --dsn and waits (up to timeoutMs) for its "ready" line.
    bool start(const QStringList &arguments, int timeoutMs = 30000)
    {
        m_process.setProgram(QStringLiteral(QPG_MONITORED_APP));
        m_process.setArguments(QStringList{QStringLiteral("--dsn"), dsn()} + arguments);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start();
        m_pid = m_process.processId();
        const QDeadlineTimer deadline(timeoutMs);
        QByteArray output;
        while (!output.contains("ready\n") && m_process.waitForReadyRead(int(deadline.remainingTime())))
            output += m_process.readAllStandardOutput();
        m_socketPath = QString::fromLocal8Bit(lineValue(output, "socket: "));
        m_tcpPort = quint16(lineValue(output, "tcp: ").toUInt());
        return output.contains("ready\n");
    }
    // SIGKILL: the socket file stays behind, as after a crash.
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(10000);
    }
    qint64 pid() const { return m_pid; } // also after it ended
    QString socketPath() const { return m_socketPath; }
    quint16 tcpPort() const { return m_tcpPort; } // with --tcp

private:
    static QByteArray lineValue(const QByteArray &output, const QByteArray &prefix)
    {
        const qsizetype at = output.indexOf(prefix);
        return at < 0 ? QByteArray() : output.mid(at + prefix.size(), output.indexOf('\n', at) - at - prefix.size());
    }

    QProcess m_process;
    QString m_socketPath;
    qint64 m_pid = 0;
    quint16 m_tcpPort = 0;
};

} // namespace QPgTest
