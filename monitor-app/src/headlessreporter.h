// SPDX-License-Identifier: MIT
#pragma once

#include "ratecalculator.h"

#include <QtCore/QObject>
#include <QtCore/QTextStream>
#include <QtCore/QTimer>

namespace QPg::Monitor {

class MonitorSession;

// --headless: a statistics table on stdout, one row a second (events go to stderr), with the rates
// computed over the second that passed.
class HeadlessReporter : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeadlessReporter)
public:
    explicit HeadlessReporter(MonitorSession *session, QObject *parent = nullptr);
    ~HeadlessReporter() override;

    void start(int intervalMs = 1000);
    int rowsPrinted() const { return m_rows; }

    static QString headerLine();

private:
    void printRow();

    MonitorSession *m_session;
    QTimer m_timer;
    QTextStream m_out;
    QTextStream m_err;
    RateCalculator m_rates;
    int m_rows = 0;
};

} // namespace QPg::Monitor
