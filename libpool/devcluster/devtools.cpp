// SPDX-License-Identifier: MIT
#include "devtools_p.h"

#include <QtCore/QFileInfo>
#include <QtCore/QStandardPaths>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpServer>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Dev {

QString runuserExecutable()
{
    for (const auto &candidate : {u"/usr/sbin/runuser"_s, u"/sbin/runuser"_s, u"/usr/bin/runuser"_s}) {
        if (QFileInfo(candidate).isExecutable())
            return candidate;
    }
    return QStandardPaths::findExecutable(u"runuser"_s);
}

int freeLoopbackPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const int port = server.serverPort();
    server.close();
    return port;
}

} // namespace QPg::Dev
