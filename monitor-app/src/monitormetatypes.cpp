// SPDX-License-Identifier: MIT
#include "monitormetatypes.h"

#include "copyoutcome.h"
#include "copyrequest.h"
#include "loadsettings.h"
#include "monitorevent.h"

#include <QPg/clusterpool.h>
#include <QPg/poolstats.h>
#include <QPg/record.h>

#include <QtCore/QMetaType>

#include <mutex>

namespace QPg::Monitor {

void registerMetaTypes()
{
    static std::once_flag once;
    std::call_once(once, [] {
        qRegisterMetaType<QPg::PoolStats>();
        qRegisterMetaType<QPg::ConnectionInfo>();
        qRegisterMetaType<QList<QPg::ConnectionInfo>>();
        qRegisterMetaType<QPg::ServerStatus>();
        qRegisterMetaType<QList<QPg::ServerStatus>>();
        qRegisterMetaType<QPg::CloseReason>();
        qRegisterMetaType<QPg::Record>();
        qRegisterMetaType<QPg::RecordList>();
        qRegisterMetaType<MonitorEvent>();
        qRegisterMetaType<LoadSettings>();
        qRegisterMetaType<CopyRequest>();
        qRegisterMetaType<CopyOutcome>();
    });
}

} // namespace QPg::Monitor
