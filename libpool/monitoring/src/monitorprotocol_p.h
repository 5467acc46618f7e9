// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QCborMap>
#include <QtCore/QString>

// The monitoring protocol (docs/MONITORING.md): frames of a 4-byte big-endian length and one CBOR
// map whose "type" names the message.
namespace QPg::Monitoring {

inline constexpr int ProtocolVersion = 1;
// Additions a version-1 peer may not know, announced in the server's hello as "revision":
// 1 = the sessions view ("sessions" messages, cancelBackend/terminateBackend commands).
inline constexpr int ProtocolRevision = 1;
// A sessions read waits this long at most for a connection of the application's pool.
inline constexpr int SessionsAcquireTimeoutMs = 2000;
inline constexpr qsizetype MaxFrameBytes = 1024 * 1024;
inline constexpr int MaxNesting = 8;
inline constexpr double MinRate = 0.2; // snapshots per second a client may ask for
inline constexpr double MaxRate = 20.0;
inline constexpr int HelloTimeoutMs = 10000; // a server closes a client that is silent this long

// Who sent a message: the two directions accept different message types.
enum class Sender { Client, Server };

enum class MessageType {
    // client → server
    ClientHello,
    ListPools,
    Subscribe,
    Command,
    SessionsRequest,
    // server → client
    ServerHello,
    Pools,
    Snapshot,
    Event,
    Reply,
    Sessions,
    Error,
};

struct Message
{
    MessageType type = MessageType::Error;
    QCborMap body; // the whole map, "type" included
};

// The wire name of a type ("hello" is both directions' first message, "sessions" both the request
// and its answer).
QString messageTypeName(MessageType type);

// The type of a map sent by sender, or an error message: unknown type, or a field of the wrong kind.
// Checks the shape only (which keys, which CBOR kinds), not what the values mean.
bool classifyMessage(const QCborMap &map, Sender sender, MessageType *type, QString *error);

// A map with "type" set, ready for more fields.
QCborMap newMessage(MessageType type);
// The frame of one message: length prefix and the map's CBOR.
QByteArray encodeFrame(const QCborMap &message);

} // namespace QPg::Monitoring
