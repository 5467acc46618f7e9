// SPDX-License-Identifier: MIT
#include "monitordecoder_p.h"

#include <QtCore/QCborStreamReader>
#include <QtCore/QCborValue>
#include <QtCore/QtEndian>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitoring {

namespace {

// Walks the CBOR item without recursion, so that a deeply nested input cannot exhaust the stack of
// QCborValue::fromCbor(); true when it is one map, nested at most MaxNesting deep, filling body.
bool checkStructure(QByteArrayView body, QString *error)
{
    QCborStreamReader reader(body.toByteArray());
    if (!reader.isMap()) {
        *error = u"a message must be one CBOR map"_s;
        return false;
    }
    int depth = 0;
    do {
        if (reader.lastError() != QCborError::NoError)
            break;
        if (depth > 0 && !reader.hasNext()) {
            if (!reader.leaveContainer())
                break;
            --depth;
        } else if (reader.isArray() || reader.isMap()) {
            if (++depth > MaxNesting) {
                *error = u"a message is nested more than %1 levels deep"_s.arg(MaxNesting);
                return false;
            }
            if (!reader.enterContainer())
                break;
        } else if (reader.isString()) {
            auto chunk = reader.readString();
            while (chunk.status == QCborStreamReader::Ok)
                chunk = reader.readString();
            if (chunk.status == QCborStreamReader::Error)
                break;
        } else if (reader.isByteArray()) {
            auto chunk = reader.readByteArray();
            while (chunk.status == QCborStreamReader::Ok)
                chunk = reader.readByteArray();
            if (chunk.status == QCborStreamReader::Error)
                break;
        } else if (!reader.next()) {
            break;
        }
    } while (depth > 0);
    if (reader.lastError() != QCborError::NoError) {
        *error = u"invalid CBOR: %1"_s.arg(reader.lastError().toString());
        return false;
    }
    if (reader.currentOffset() != body.size()) {
        *error = u"bytes after the message's CBOR map"_s;
        return false;
    }
    return true;
}

} // namespace

DecodeResult decodeFrames(QByteArrayView bytes, Sender sender, bool helloSeen)
{
    DecodeResult result;
    result.helloSeen = helloSeen;
    while (bytes.size() - result.consumed >= 4) {
        const QByteArrayView rest = bytes.sliced(result.consumed);
        const quint32 length = qFromBigEndian<quint32>(rest.data());
        if (length == 0 || length > quint32(MaxFrameBytes)) {
            result.error = u"frame length %1 is outside 1..%2 bytes"_s.arg(length).arg(MaxFrameBytes);
            return result;
        }
        if (rest.size() - 4 < qsizetype(length))
            break; // a partial frame: wait for the rest
        const QByteArrayView body = rest.sliced(4, length);
        if (!checkStructure(body, &result.error))
            return result;
        QCborParserError parseError;
        const QCborValue value = QCborValue::fromCbor(body.toByteArray(), &parseError);
        if (parseError.error != QCborError::NoError || !value.isMap()) {
            result.error = u"invalid CBOR: %1"_s.arg(parseError.errorString());
            return result;
        }
        Message message;
        message.body = value.toMap();
        if (!classifyMessage(message.body, sender, &message.type, &result.error))
            return result;
        const bool isHello = message.type == MessageType::ClientHello || message.type == MessageType::ServerHello;
        // A server may refuse a client before any hello: its error comes first then.
        if (!result.helloSeen && !isHello && message.type != MessageType::Error) {
            result.error = u"\"%1\" before hello"_s.arg(messageTypeName(message.type));
            return result;
        }
        if (result.helloSeen && isHello) {
            result.error = u"a second hello"_s;
            return result;
        }
        result.helloSeen = result.helloSeen || isHello;
        result.messages.append(std::move(message));
        result.consumed += 4 + qsizetype(length);
    }
    return result;
}

bool Decoder::feed(QByteArrayView bytes)
{
    if (!m_error.isEmpty())
        return false;
    m_buffer.append(bytes);
    DecodeResult result = decodeFrames(m_buffer, m_sender, m_helloSeen);
    m_messages.append(std::move(result.messages));
    m_helloSeen = result.helloSeen;
    m_buffer.remove(0, result.consumed);
    m_error = result.error;
    if (!m_error.isEmpty())
        m_buffer.clear();
    return m_error.isEmpty();
}

} // namespace QPg::Monitoring
