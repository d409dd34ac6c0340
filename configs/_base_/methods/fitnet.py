# The FitNet baseline of knowledge adaptation's Table 3 (Romero et al.): the
# paper "directly upsample[s] the feature map of the last layer and add[s]
# a loss" (an L2 loss). Here the student's last feature is mapped to the
# teacher's width by FitNet's regressor (a linear 1x1 conv) and upsampled
# x2 from stride 16 to the teacher's stride 8, then compared by the mean
# squared error. The leaf adds that connector (`regressor`): a chain of
# connectors takes no inferred widths, so it names them from the pair. The
# weight is not given in the paper.
_base_ = ['./recorders.py', './separate_ddp.py']
model = dict(
    _scope_='mmskd',
    type='StructuredDistill',
    distiller=dict(
        type='StructuredDistiller',
        student_recorders=dict(feature=_base_.feature_recorder),
        teacher_recorders=dict(feature=_base_.feature_recorder),
        distill_losses=dict(
            loss_fitnet=dict(
                type='L2Loss',
                normalize=False,
                div_element=True,
                loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_fitnet=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='feature',
                    connector='regressor'),
                t_feature=dict(from_student=False, recorder='feature')))))
