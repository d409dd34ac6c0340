# mmseg's 80k-iteration schedule of the Cityscapes and ADE20K model zoo: SGD
# (lr 0.01, momentum 0.9, weight decay 5e-4) with poly decay to 1e-4.
_base_ = ['mmseg::_base_/schedules/schedule_80k.py']
