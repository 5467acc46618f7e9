// SPDX-License-Identifier: MIT
#include "rowdiff_p.h"

#include <QtCore/QHash>
#include <QtCore/QSet>

namespace QPg::Private {

namespace {

// Consecutive ascending indexes folded into ranges.
QList<RowDiff::Range> toRanges(const QList<int> &ascending)
{
    QList<RowDiff::Range> ranges;
    for (int index : ascending) {
        if (!ranges.isEmpty() && ranges.last().last + 1 == index)
            ranges.last().last = index;
        else
            ranges.append({index, index});
    }
    return ranges;
}

} // namespace

bool keysAreUnique(const QList<QString> &keys)
{
    QSet<QString> seen;
    seen.reserve(keys.size());
    for (const QString &key : keys) {
        if (seen.contains(key))
            return false;
        seen.insert(key);
    }
    return true;
}

RowDiff diffRows(const QList<QString> &oldKeys, const QList<QString> &newKeys)
{
    QHash<QString, int> newPosition;
    newPosition.reserve(newKeys.size());
    for (int i = 0; i < newKeys.size(); ++i)
        newPosition.insert(newKeys.at(i), i);

    RowDiff diff;
    QList<int> removed;
    QList<int> stayingNewPositions; // in old order
    QSet<QString> staying;
    for (int i = 0; i < oldKeys.size(); ++i) {
        const auto it = newPosition.constFind(oldKeys.at(i));
        if (it == newPosition.cend()) {
            removed.append(i);
        } else {
            stayingNewPositions.append(it.value());
            staying.insert(oldKeys.at(i));
        }
    }
    diff.removals = toRanges(removed);
    std::reverse(diff.removals.begin(), diff.removals.end());

    // Rank of each staying row's new position among all staying rows.
    QList<int> sorted = stayingNewPositions;
    std::sort(sorted.begin(), sorted.end());
    bool reordered = false;
    diff.moves.reserve(stayingNewPositions.size());
    for (int i = 0; i < stayingNewPositions.size(); ++i) {
        const int rank = int(std::lower_bound(sorted.cbegin(), sorted.cend(), stayingNewPositions.at(i)) - sorted.cbegin());
        diff.moves.append(rank);
        reordered = reordered || rank != i;
    }
    if (!reordered)
        diff.moves.clear();

    QList<int> inserted;
    for (int i = 0; i < newKeys.size(); ++i) {
        if (!staying.contains(newKeys.at(i)))
            inserted.append(i);
    }
    diff.insertions = toRanges(inserted);
    return diff;
}

} // namespace QPg::Private
