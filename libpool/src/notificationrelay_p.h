// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/connection.h>

#include <QtCore/QObject>

namespace QPg::Private {

// Carries a listener's notifications from the pool's thread to a receiver in another thread. It
// lives in the receiver's thread and is emitted from the pool's: Qt queues the calls and cuts the
// connection when the receiver is destroyed, which a raw pointer to the receiver could not do.
class NotificationRelay : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

Q_SIGNALS:
    void notified(const QPg::Notification &notification);
    // The session ended (lost or closed) while the listener was registered.
    void sessionEnded();
};

} // namespace QPg::Private
