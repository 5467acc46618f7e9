// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/pool.h>

#include <QtCore/QObject>
#include <QtCore/QTimer>
#include <QtCore/QVariantMap>
#include <QtQml/QJSValue>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace QPg::Qml {

// QML's view of a QPg::Pool: configuration as properties, the live counts and a statistics map
// that bindings can use, and query() with a JavaScript callback.
//
//   Pool {
//       id: pool
//       dsn: "host=/run/postgresql dbname=app"
//       minSize: 2; maxSize: 10
//       Component.onCompleted: open()
//   }
//   Text { text: pool.active + " of " + pool.size + " busy" }
//   Button { onClicked: pool.query("SELECT now() AS t", [], (rows, error) => label.text = rows[0].t) }
class QmlPool : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Pool)
    Q_INTERFACES(QQmlParserStatus)

    Q_PROPERTY(QString dsn READ dsn WRITE setDsn NOTIFY dsnChanged)
    Q_PROPERTY(int minSize READ minSize WRITE setMinSize NOTIFY sizeLimitsChanged)
    Q_PROPERTY(int maxSize READ maxSize WRITE setMaxSize NOTIFY sizeLimitsChanged)
    Q_PROPERTY(int statsInterval READ statsInterval WRITE setStatsInterval NOTIFY statsIntervalChanged)
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY statusChanged)
    Q_PROPERTY(int size READ size NOTIFY countsChanged)
    Q_PROPERTY(int idle READ idle NOTIFY countsChanged)
    Q_PROPERTY(int active READ active NOTIFY countsChanged)
    Q_PROPERTY(int waiting READ waiting NOTIFY countsChanged)
    Q_PROPERTY(QVariantMap stats READ stats NOTIFY statsChanged)
    Q_PROPERTY(QVariantList connections READ connections NOTIFY statsChanged)

public:
    enum class Status { Closed, Opening, Open, Closing, Error };
    Q_ENUM(Status)

    explicit QmlPool(QObject *parent = nullptr);
    ~QmlPool() override;

    QString dsn() const { return m_dsn; }
    void setDsn(const QString &dsn);
    int minSize() const { return m_minSize; }
    void setMinSize(int size);
    int maxSize() const { return m_maxSize; }
    void setMaxSize(int size);
    int statsInterval() const { return m_statsTimer.interval(); }
    void setStatsInterval(int milliseconds);
    Status status() const { return m_status; }
    QString errorString() const { return m_errorString; }
    int size() const { return m_counts[0]; }
    int idle() const { return m_counts[1]; }
    int active() const { return m_counts[2]; }
    int waiting() const { return m_counts[3]; }
    QVariantMap stats() const { return m_stats; }
    QVariantList connections() const { return m_connections; }
    // The pool for C++ (models bind to it); null before the first open(). open() replaces it.
    QPg::Pool *pool() const { return m_pool.get(); }

    // Opens a pool with the current properties (closing a previous one first).
    Q_INVOKABLE void open();
    Q_INVOKABLE void close();
    Q_INVOKABLE void terminate();
    Q_INVOKABLE void expireConnections();
    // Runs sql with params through the pool; callback(rows, error): rows is an array of objects
    // keyed by column name, error is empty on success or the error message.
    Q_INVOKABLE void query(const QString &sql, const QVariantList &params, const QJSValue &callback);

    void classBegin() override {}
    void componentComplete() override;

Q_SIGNALS:
    void dsnChanged();
    void sizeLimitsChanged();
    void statsIntervalChanged();
    void statusChanged();
    // Each time open() has succeeded, with a new pool() (models run their queries again then).
    void opened();
    void countsChanged();
    void statsChanged();
    void connectionOpened(int backendPid);
    void connectionClosed(int backendPid, const QString &reason);

private:
    void setStatus(Status status, const QString &error = QString());
    void refreshStats();

    QString m_dsn;
    int m_minSize = 1;
    int m_maxSize = 10;
    Status m_status = Status::Closed;
    QString m_errorString;
    int m_counts[4] = {0, 0, 0, 0};
    QVariantMap m_stats;
    QVariantList m_connections;
    QTimer m_statsTimer;
    std::unique_ptr<QPg::Pool> m_pool;
};

} // namespace QPg::Qml
