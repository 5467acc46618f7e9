// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QObject>

#include <functional>

namespace QPg::Private {

// Carries one call from the pool's thread into a context object living in another thread. The
// queued connection to the context is made when the request is made; Qt drops the call when the
// context is destroyed first, which a QPointer read in the pool's thread could not promise (it
// races the destruction). Lives in the pool's thread and deletes itself once fired.
class ContextRelay : public QObject
{
    Q_OBJECT
public:
    // In the thread that owns context (or may otherwise rely on it being alive); poolThread is where
    // fire() will be called.
    static ContextRelay *create(const QObject *context, QThread *poolThread, std::function<void()> call)
    {
        auto *relay = new ContextRelay;
        QObject::connect(relay, &ContextRelay::fired, context, std::move(call), Qt::QueuedConnection);
        relay->moveToThread(poolThread);
        return relay;
    }
    // In the pool's thread, once.
    void fire()
    {
        Q_EMIT fired();
        deleteLater();
    }

Q_SIGNALS:
    void fired();

private:
    ContextRelay() = default;
};

} // namespace QPg::Private
