// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include "monitorprotocol_p.h"

#include <QtCore/QByteArrayView>
#include <QtCore/QList>

namespace QPg::Monitoring {

struct DecodeResult
{
    QList<Message> messages;
    qsizetype consumed = 0; // bytes of whole frames; the rest waits for more input
    bool helloSeen = false; // the state after these messages
    QString error;          // set: the stream is broken, stop reading it
};

// Splits bytes into whole frames and checks each: the length within MaxFrameBytes, exactly one CBOR
// map nested at most MaxNesting deep, a message type sender may send, hello first and only once.
// A pure function: the caller keeps the bytes after `consumed` and the hello state for next time.
DecodeResult decodeFrames(QByteArrayView bytes, Sender sender, bool helloSeen);

// The incremental form: feeds bytes as they arrive and keeps the incomplete frame.
class Decoder
{
public:
    explicit Decoder(Sender sender) : m_sender(sender) { }
    // False once the stream is broken (see error()); later input is ignored.
    bool feed(QByteArrayView bytes);
    QList<Message> takeMessages() { return std::exchange(m_messages, {}); }
    QString error() const { return m_error; }

private:
    Sender m_sender;
    QByteArray m_buffer;
    QList<Message> m_messages;
    bool m_helloSeen = false;
    QString m_error;
};

} // namespace QPg::Monitoring
