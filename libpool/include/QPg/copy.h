// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>

#include <QtCore/QFuture>
#include <QtCore/QMetaType>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <chrono>
#include <functional>
#include <optional>

class QIODevice;

namespace QPg {

// The options of PostgreSQL's COPY (and of asyncpg's copy methods). Unset options keep the
// server's defaults for the format.
struct CopyOptions
{
    enum class Format { Text, Csv, Binary };
    std::optional<Format> format;
    QString schema;
    QStringList columns;
    std::optional<QString> delimiter;
    std::optional<QString> null;
    std::optional<bool> header;
    std::optional<QString> quote;
    std::optional<QString> escape;
    QStringList forceQuote; // CSV out; {"*"} quotes every column
    QStringList forceNotNull; // CSV in
    QStringList forceNull;    // CSV in
    std::optional<QString> encoding;
    QString where; // COPY FROM only: an SQL condition rows must meet to be kept
    std::optional<std::chrono::milliseconds> timeout;
};

// Where COPY TO STDOUT data goes: a file (created or truncated), an open QIODevice, or a callback
// receiving each chunk (one row in text and CSV formats).
class QPGPOOL_EXPORT CopyOutput
{
public:
    CopyOutput(const QString &filePath) : m_path(filePath) {}
    CopyOutput(QIODevice *device) : m_device(device) {}
    CopyOutput(std::function<void(const QByteArray &chunk)> callback) : m_callback(std::move(callback)) {}

    const QString &filePath() const { return m_path; }
    QIODevice *device() const { return m_device; }
    const std::function<void(const QByteArray &)> &callback() const { return m_callback; }

private:
    QString m_path;
    QIODevice *m_device = nullptr;
    std::function<void(const QByteArray &)> m_callback;
};

// Where COPY FROM STDIN data comes from: a file, an open QIODevice (read in chunks; sequential
// devices are waited on), or an asynchronous source giving the next chunk, an empty one at the end.
class QPGPOOL_EXPORT CopyInput
{
public:
    CopyInput(const QString &filePath) : m_path(filePath) {}
    CopyInput(QIODevice *device) : m_device(device) {}
    CopyInput(std::function<QFuture<QByteArray>()> source) : m_source(std::move(source)) {}

    const QString &filePath() const { return m_path; }
    QIODevice *device() const { return m_device; }
    const std::function<QFuture<QByteArray>()> &source() const { return m_source; }

private:
    QString m_path;
    QIODevice *m_device = nullptr;
    std::function<QFuture<QByteArray>()> m_source;
};

} // namespace QPg

Q_DECLARE_METATYPE(QPg::CopyOptions)
