// SPDX-License-Identifier: MIT
#include "metatypes_p.h"

#include <QPg/connection.h>
#include <QPg/record.h>
#include <QPg/timestamp.h>

#include <QtCore/QMetaType>

#include <mutex>

namespace QPg::Private {

void registerMetaTypes()
{
    static std::once_flag once;
    std::call_once(once, [] {
        qRegisterMetaType<QPg::Timestamp>();
        qRegisterMetaType<QPg::Record>();
        qRegisterMetaType<QPg::RecordList>();
        qRegisterMetaType<QPg::Notification>();
        qRegisterMetaType<QPg::Notice>();

        QMetaType::registerConverter<QPg::Timestamp, QDateTime>(&QPg::Timestamp::toDateTime);
        QMetaType::registerConverter<QPg::Timestamp, QString>(&QPg::Timestamp::toPostgresText);
        QMetaType::registerConverter<QDateTime, QPg::Timestamp>(&QPg::Timestamp::fromDateTime);
    });
}

} // namespace QPg::Private
