// SPDX-License-Identifier: MIT
#include <QPg/poolstats.h>

namespace QPg {

QString closeReasonName(CloseReason reason)
{
    switch (reason) {
    case CloseReason::Expired: return QStringLiteral("expired");
    case CloseReason::MaxQueries: return QStringLiteral("max queries");
    case CloseReason::IdleTimeout: return QStringLiteral("idle lifetime");
    case CloseReason::MaxLifetime: return QStringLiteral("max lifetime");
    case CloseReason::Broken: return QStringLiteral("broken");
    case CloseReason::ResetFailed: return QStringLiteral("reset failed");
    case CloseReason::SetupFailed: return QStringLiteral("setup failed");
    case CloseReason::ValidationFailed: return QStringLiteral("validation failed");
    case CloseReason::PoolClosed: return QStringLiteral("pool closed");
    case CloseReason::Resized: return QStringLiteral("resized");
    }
    return QString();
}

QString connectionStateName(ConnectionInfo::State state)
{
    switch (state) {
    case ConnectionInfo::State::Connecting: return QStringLiteral("connecting");
    case ConnectionInfo::State::Idle: return QStringLiteral("idle");
    case ConnectionInfo::State::Acquired: return QStringLiteral("acquired");
    case ConnectionInfo::State::Resetting: return QStringLiteral("resetting");
    case ConnectionInfo::State::Closing: return QStringLiteral("closing");
    }
    return QString();
}

} // namespace QPg
