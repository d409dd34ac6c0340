# PI + PA (skd_pi_pa.py) from several teachers' averaged maps: the teacher
# is a TeacherEnsemble that averages its teachers' score maps (`logits`) and
# fused features (`feature`); leaf configs name each teacher's feature module
# in `teacher.average.feature` and the student's in its `feature` recorder.
_base_ = ['./skd_pi_pa.py']
model = dict(
    teacher=dict(average=dict(logits='decode_head.conv_seg')),
    distiller=dict(
        teacher_recorders=dict(
            logits=dict(source='averaged.logits'),
            feature=dict(source='averaged.feature'))))
