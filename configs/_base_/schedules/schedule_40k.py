# mmseg's 40k-iteration schedule, the papers' segmentation length ("40000
# iterations", SGD lr 0.01, momentum 0.9, weight decay 5e-4, poly 0.9) and
# that of mmseg's VOC aug model zoo: poly decay to 1e-4.
_base_ = ['mmseg::_base_/schedules/schedule_40k.py']
