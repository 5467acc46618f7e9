// SPDX-License-Identifier: MIT
#include "elidedlabel.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

ElidedLabel::ElidedLabel(QWidget *parent, Qt::TextElideMode mode, int maxHintWidth)
    : QLabel(parent)
    , m_mode(mode)
    , m_maxHintWidth(maxHintWidth)
{
    setTextFormat(Qt::PlainText);
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
}

ElidedLabel::~ElidedLabel() = default;

void ElidedLabel::setFullText(const QString &text)
{
    if (text == m_fullText)
        return;
    m_fullText = text;
    setToolTip(text);
    updateShownText();
    updateGeometry();
}

QSize ElidedLabel::sizeHint() const
{
    const int margins = contentsMargins().left() + contentsMargins().right() + 2 * margin();
    const int width = std::min(fontMetrics().horizontalAdvance(m_fullText) + margins, m_maxHintWidth);
    return {width, QLabel::sizeHint().height()};
}

QSize ElidedLabel::minimumSizeHint() const
{
    return {fontMetrics().horizontalAdvance(u"M…M"_s), QLabel::minimumSizeHint().height()};
}

void ElidedLabel::resizeEvent(QResizeEvent *event)
{
    QLabel::resizeEvent(event);
    updateShownText();
}

void ElidedLabel::updateShownText()
{
    // contentsRect(): the frame and margins leave less than width() for the text.
    QLabel::setText(fontMetrics().elidedText(m_fullText, m_mode, std::max(0, contentsRect().width() - 2 * margin())));
}

} // namespace QPg::Monitor
