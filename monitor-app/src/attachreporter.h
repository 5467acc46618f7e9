// SPDX-License-Identifier: MIT
#pragma once

#include "attachtarget.h"
#include "statssample.h"

#include <QtCore/QObject>
#include <QtCore/QTextStream>

namespace QPg::Monitor {

class RemotePoolSource;

// --headless --attach: one line on stdout per snapshot of each attached pool, as text, CSV or
// JSON (one object per line), for scripts. Events go to stderr. Unlike the window it does not wait
// for an application to come back: not finding it, failing to connect, the application going away
// or the pool closing end the program with status 1.
class AttachReporter : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttachReporter)
public:
    enum class Format { Text, Csv, Json };

    explicit AttachReporter(Format format, const QString &directory = {}, QObject *parent = nullptr);
    ~AttachReporter() override;

    static std::optional<Format> parseFormat(const QString &name);

    void attach(const AttachTarget &target);
    int linesPrinted() const { return m_lines; }

Q_SIGNALS:
    // The first snapshot of any pool arrived.
    void firstSnapshot();

private:
    void print(const RemotePoolSource *source, const QString &pool, const StatsSample &sample);
    void fail(const QString &message);

    Format m_format;
    QString m_directory;
    QTextStream m_out;
    QTextStream m_err;
    int m_lines = 0;
    bool m_failed = false;
};

} // namespace QPg::Monitor
